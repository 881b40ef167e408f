"""One exception type for every bad input, so the CLI can print one line and exit 2."""
from __future__ import annotations


class InputError(Exception):
    """A problem with a user's file or option.

    The message always names where the problem is (file, row, column or key path) so the
    user can fix it without reading a traceback.
    """

    def __init__(self, message: str, *, source: str | None = None):
        self.source = source
        super().__init__(f"{source}: {message}" if source else message)
