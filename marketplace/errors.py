"""Domain errors raised by services and shown to users by views."""

from __future__ import annotations


class DomainError(Exception):
    """A business rule refused the action; `message` is translatable, `field` names the input."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field
