"""Results of long runs kept by their inputs, process-wide, so an identical request is not run twice.

Why a module: the Compare and Invest pages both run for many seconds and both are pure functions of
their inputs (same scenarios, replications and seed, same result), so any session may reuse a result
another made. Results are kept as JSON text and every hit returns a fresh copy, so no caller can
change what another sees. The newest ``size`` are kept.
"""
from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any


class KeptResults:
    """JSON results by a string key (the request's JSON), newest ``size`` kept."""

    def __init__(self, size: int = 16):
        self.size = size
        self._kept: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def peek(self, key: str) -> Any | None:
        """The kept result for ``key`` (a fresh copy), or None: nothing is run."""
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None:
                self._kept.move_to_end(key)
        return None if kept is None else json.loads(kept)

    def get(self, key: str, make: Callable[[], Any]) -> Any:
        """The kept result for ``key``, else ``make()`` (a JSON-able value), kept and returned as a copy."""
        found = self.peek(key)
        if found is not None:
            return found
        kept = json.dumps(make())
        with self._lock:
            self._kept[key] = kept
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
        return json.loads(kept)
