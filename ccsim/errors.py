"""The one error a user sees for bad input: it names the field and says how to fix it."""
from __future__ import annotations


class ScenarioError(ValueError):
    """A scenario (file, override or Python object) is invalid; the message names the field and the fix."""

    def __init__(self, field: str, problem: str, fix: str | None = None):
        self.field, self.problem, self.fix = field, problem, fix
        msg = f"{field}: {problem}" if field else problem
        if fix:
            msg += f" (fix: {fix})"
        super().__init__(msg)
