"""The one error type that bad user input raises, whichever file or option it is in."""

from __future__ import annotations


class ScenarioError(ValueError):
    """Bad user input: names the file (or flag), the key path and what was expected.

    The command line prints ``str(error)`` on one line and exits with code 2, without
    a traceback and without writing anything.
    """

    def __init__(self, message: str, *, file: str | None = None, path: str | None = None):
        self.file = None if file is None else one_line(str(file))
        self.path = None if path is None else one_line(str(path))
        self.message = one_line(str(message))
        where = []
        if self.file:
            where.append(self.file)
        if self.path:
            where.append(f"at '{self.path}'")
        prefix = (" ".join(where) + ": ") if where else ""
        super().__init__(prefix + self.message)

    def __reduce__(self):
        # keyword-only arguments: pickled (to and from worker processes) by hand
        return (_rebuild, (self.message, self.file, self.path))


def one_line(text: str) -> str:
    r"""``text`` with line breaks and other unprintable characters escaped.

    A key named "a\nb" is shown as 'a\nb', so that a message always stays on one line.
    """
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _rebuild(message: str, file: str | None, path: str | None) -> ScenarioError:
    return ScenarioError(message, file=file, path=path)
