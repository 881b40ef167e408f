"""Pseudonymous case and device references for reports that leave the DFU.

A keyed HMAC-SHA256 (not a plain hash) because case references are short and guessable: with
a plain hash anyone could hash "NY/2023/0412" and find it in the report. With a secret key
the mapping cannot be reversed or recomputed without the key. The same key gives the same
pseudonyms (so two reports can be compared); without ``--salt`` each run draws a random key,
so its pseudonyms match nothing else.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable


class Pseudonymiser:
    """Maps a reference to a stable pseudonym like ``C-3f9a1c`` under one key.

    ``salt``: the key as text (from ``--salt``), or None for a random per-run key.
    ``prefix``: what the pseudonym starts with (``C-`` for cases, ``D-`` for devices, ...).
    """

    def __init__(self, salt: str | bytes | None = None, *, prefix: str = "C-", length: int = 6):
        if isinstance(salt, str):
            salt = salt.encode("utf-8")
        self._key = salt if salt else secrets.token_bytes(32)
        self.prefix = prefix
        self.length = max(4, min(64, length))
        self.keyed_by_user = bool(salt)

    def digest(self, reference: object) -> str:
        """Full hex HMAC of the reference (whitespace at the ends ignored)."""
        text = str(reference).strip().encode("utf-8")
        return hmac.new(self._key, text, hashlib.sha256).hexdigest()

    def fingerprint(self) -> str:
        """Names the key without revealing it: the HMAC of a fixed label under the key.

        Written into pseudonymised outputs, so a report can tell from the file (not from the
        look of its values) that it was pseudonymised, and whether two files used one key.
        """
        return hmac.new(self._key, b"dfu-sched key fingerprint", hashlib.sha256).hexdigest()[:16]

    def __call__(self, reference: object) -> str:
        return f"{self.prefix}{self.digest(reference)[:self.length]}"

    def mapping(self, references: Iterable[object]) -> dict[str, str]:
        """Pseudonyms for a whole set, lengthened together until no two collide.

        Six hex digits collide among a few thousand references (birthday bound), and a
        report that merged two cases under one pseudonym would be wrong, so the whole set
        moves to a longer pseudonym rather than only the colliding ones (which would leak
        that they collided).
        """
        refs = sorted({str(r).strip() for r in references})
        digests = {r: self.digest(r) for r in refs}
        length = self.length
        while length < 64 and len({d[:length] for d in digests.values()}) < len(refs):
            length += 2
        return {r: f"{self.prefix}{d[:length]}" for r, d in digests.items()}


#: What a pseudonymised output puts where an input file's name was (names can identify a case).
FILE_PLACEHOLDER = "(pseudonymised)"

#: Where a pseudonymised plan document has replaced references (recorded in its marker).
PLAN_FIELDS = ("devices.device", "devices.case", "devices.examiner", "examiners.examiner",
               "summary.infeasible_deadlines", "warnings", "inputs")


def marker(pseudonymiser: Pseudonymiser, fields: Iterable[str]) -> dict:
    """The record a pseudonymised output carries: the key's fingerprint and the fields replaced."""
    return {"key_fingerprint": pseudonymiser.fingerprint(), "fields": list(fields)}


def is_marked(doc: dict) -> bool:
    """True when the document records that the pseudonymiser wrote it (never judged from values)."""
    m = doc.get("pseudonymised") if isinstance(doc, dict) else None
    return isinstance(m, dict) and isinstance(m.get("key_fingerprint"), str) and bool(m["key_fingerprint"])


def pseudonymise_column(values: Iterable[object], pseudonymiser: Pseudonymiser) -> list[str]:
    """A column of references replaced consistently (equal references -> equal pseudonyms)."""
    values = list(values)
    table = pseudonymiser.mapping(values)
    return [table[str(v).strip()] for v in values]
