"""What one browser session holds: its uploads, in memory only.

Why a module: the app serves several people at once and the files hold case references about
children, so an upload belongs to one session and is never written to disk. Streamlit gives each
browser session its own ``st.session_state``; these functions keep uploads under one key of that
mapping (a plain dict in tests), so a second session cannot see them and nothing
outlives the session.
"""
from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dfu_sched.errors import InputError

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


@contextmanager
def private_folder() -> Iterator[Path]:
    """A private temporary folder for readers that want a path, removed when the block ends.

    A reader that names its file by path would show this folder in its one-line message; the
    message names the upload's own file name instead, as the command names the file it was given.
    """
    with tempfile.TemporaryDirectory(prefix="dfu-app-") as tmp:
        try:
            yield Path(tmp)
        except InputError as exc:
            inside = re.escape(tmp) + r"/(?:[^/\s:]+/)*"  # the folder and any subfolders in it
            raise InputError(re.sub(inside, "", str(exc))) from None


def upload_name(upload: Upload, fallback: str) -> str:
    """The upload's own file name (no folders), or ``fallback`` when it has none."""
    name = Path(upload.name).name
    return name if name not in ("", ".", "..") else fallback


def stage_upload(folder: Path, upload: Upload, fallback: str) -> Path:
    """Write ``upload`` under its own name into ``folder`` (made here) for a reader that wants a path.

    Refuses a file over the size limit in one line naming the upload, before writing anything.
    """
    from dfu_sched.yamlfile import MAX_FILE_BYTES

    if len(upload.data) > MAX_FILE_BYTES:
        raise InputError(f"the file is larger than {MAX_FILE_BYTES // 1_000_000} MB",
                         source=upload_name(upload, fallback))
    folder.mkdir(exist_ok=True)
    path = folder / upload_name(upload, fallback)
    path.write_bytes(upload.data)
    return path
