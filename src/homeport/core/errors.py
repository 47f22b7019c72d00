"""Errors a user can act on: what was expected, what was got, what to do."""

from __future__ import annotations


class HomeportError(Exception):
    """An error with a message meant for people. The CLI prints it without a traceback (exit 2)."""

    exit_code = 2

    def __init__(self, what: str, *, expected: str = "", got: str = "", hint: str = ""):
        self.what, self.expected, self.got, self.hint = what, expected, got, hint
        super().__init__(self.render())

    def render(self) -> str:
        parts = [self.what]
        if self.expected:
            parts.append(f"expected: {self.expected}")
        if self.got:
            parts.append(f"got: {self.got}")
        if self.hint:
            parts.append(f"what to do: {self.hint}")
        return "\n  ".join(parts)


class UsageError(HomeportError):
    """Bad flags or arguments."""


class CatalogError(HomeportError, ValueError):
    """A catalog data file that breaks its schema: the message names the file, the line and the field.
    A ValueError too, as the older catalog loaders raise."""
