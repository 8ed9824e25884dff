"""The one error type that bad user input raises, whichever file or option it is in."""

from __future__ import annotations


class ScenarioError(ValueError):
    """Bad user input: names the file (or flag), the key path and what was expected.

    The command line prints ``str(error)`` on one line and exits with code 2, without
    a traceback and without writing anything.
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

    def __reduce__(self):
        # keyword-only arguments: pickled (to and from worker processes) by hand
        return (_rebuild, (self.message, self.file, self.path))


def _rebuild(message: str, file: str | None, path: str | None) -> ScenarioError:
    return ScenarioError(message, file=file, path=path)
