"""Domain errors raised by services and shown to users by views."""

from __future__ import annotations


class DomainError(Exception):
    """A business rule refused the action; `message` is translatable, `field` names the input."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(DomainError):
    """Several inputs break the rules at once; `errors` maps each field to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        field, message = next(iter(errors.items()))
        super().__init__(message, field)
        self.errors = errors
