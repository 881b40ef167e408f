"""Pseudonyms for the plan's device, case and examiner references (``--pseudonymise``).

Why it exists: the ``risk`` and ``plan`` commands both mask references before anything is
written, with one key for all three sets, so every output of a run agrees and no output path
can leak a case reference by accident. The keyed hashing itself is ``dfu_sched.privacy``'s.
"""
from __future__ import annotations

import secrets
from collections.abc import Iterable

from dfu_sched.privacy import PLAN_FIELDS, Pseudonymiser, marker


class RefMasker:
    """Device, case and examiner references replaced by keyed HMAC pseudonyms (the shared helper).

    Same ``salt`` -> same pseudonyms across runs; no salt -> one per-run secret key for all three
    sets. Each set is lengthened together until no two references collide. ``marker`` is the
    record the output carries, so a report knows it is pseudonymised from what the file says.
    """

    def __init__(self, salt: str | None, device_ids: Iterable[str], case_ids: Iterable[str],
                 examiner_ids: Iterable[str] = ()):
        key = salt if salt else secrets.token_bytes(32)
        self.devices = Pseudonymiser(key, prefix="D-").mapping(device_ids)
        self.cases = Pseudonymiser(key, prefix="C-").mapping(case_ids)
        self.examiners = Pseudonymiser(key, prefix="E-").mapping(examiner_ids)
        self.marker = marker(Pseudonymiser(key), PLAN_FIELDS)

    def __call__(self, prefix: str, ref: str) -> str:
        table = {"D": self.devices, "C": self.cases, "E": self.examiners}[prefix]
        return table[str(ref).strip()]
