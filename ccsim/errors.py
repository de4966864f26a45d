"""The errors a user sees for bad input: each names the field and says how to fix it, in one line.

:class:`InputError` is the base the command line turns into exit code 2; its kinds say what was wrong:
a scenario (:class:`ScenarioError`), an option or argument (:class:`OptionError`), a results folder
(:class:`ResultsError`), or a call log (:class:`CallLogError`).
"""
from __future__ import annotations


class InputError(ValueError):
    """Bad input from a user; the message names the field and the fix."""

    def __init__(self, field: str, problem: str, fix: str | None = None):
        self.field, self.problem, self.fix = field, problem, fix
        msg = f"{field}: {problem}" if field else problem
        if fix:
            msg += f" (fix: {fix})"
        super().__init__(msg)


class ScenarioError(InputError):
    """A scenario or sweep definition (file, override or Python object) is invalid."""


class OptionError(InputError):
    """A command-line option or a function argument (replications, seed, workers, target...) is invalid."""


class ResultsError(InputError):
    """A results folder is missing, unreadable, or not the kind asked for."""


class CallLogError(InputError):
    """A call log (ACD export) is missing, unreadable, or has a bad column or row; the field names the file,
    the row and the column."""
