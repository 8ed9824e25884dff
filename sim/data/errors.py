"""The error a malformed data file raises: names the file, the row or column, what was expected."""

from __future__ import annotations

from sim.scenario.errors import ScenarioError


class DataFileError(ScenarioError):
    """A data file that does not have the publisher's layout or content.

    A subclass of ScenarioError, so the command line prints one line and exits with code 2:
    ``FILE: line 14, column 'newly_identified': expected a whole number >= 0, got 'x'``.
    ``where`` names the column, the row (as the file's line number, header included) or both.
    """

    def __init__(self, message: str, *, file: str | None = None, where: str | None = None):
        self.where = where
        super().__init__(f"{where}: {message}" if where else message, file=file)
