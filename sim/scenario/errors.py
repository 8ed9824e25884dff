"""The one error type scenario and batch input problems raise."""

from __future__ import annotations


class ScenarioError(ValueError):
    """Bad scenario input: names the file, the key path and what was expected.

    The command line prints ``str(error)`` and exits with code 2, without a traceback.
    """

    def __init__(self, message: str, *, file: str | None = None, path: str | None = None):
        self.file = file
        self.path = path
        self.message = message
        where = []
        if file:
            where.append(str(file))
        if path:
            where.append(f"at '{path}'")
        prefix = (" ".join(where) + ": ") if where else ""
        super().__init__(prefix + message)
