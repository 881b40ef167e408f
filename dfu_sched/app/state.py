"""What one browser session holds: its uploads, in memory only.

Why a module: the app serves several people at once and the files hold case references about
children, so an upload belongs to one session and is never written to disk. Streamlit gives each
browser session its own ``st.session_state``; these functions keep uploads under one key of that
mapping (a plain dict in tests), so a second session cannot see them and nothing
outlives the session.
"""
from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

#: The session-state key that holds this session's uploads.
UPLOADS_KEY = "dfu_uploads"


#: What the functions need of a session's state: ``st.session_state`` (keys ``str | int``) or a dict.
Session = MutableMapping[Any, Any]


@dataclass(frozen=True)
class Upload:
    """One uploaded file's bytes, held in the session's memory (the name is shown, never logged)."""

    name: str
    data: bytes


def keep_upload(session: Session, kind: str, upload: Upload) -> None:
    """Remember ``upload`` as this session's file of ``kind`` (a scenario, a queue ...)."""
    uploads = dict(session.get(UPLOADS_KEY, {}))
    uploads[kind] = upload
    session[UPLOADS_KEY] = uploads


def session_upload(session: Session, kind: str) -> Upload | None:
    """This session's upload of ``kind``, if any."""
    found = session.get(UPLOADS_KEY, {}).get(kind)
    return found if isinstance(found, Upload) else None


def forget_upload(session: Session, kind: str) -> None:
    """Drop this session's upload of ``kind`` (the user removed the file)."""
    uploads = dict(session.get(UPLOADS_KEY, {}))
    uploads.pop(kind, None)
    session[UPLOADS_KEY] = uploads
