"""Errors that services raise for bad input or forbidden actions.

An ApplicationError carries a stable machine code (API clients switch on it) and a
human message (already translated, or lazily translatable) for the person.
"""

from typing import Any


class ApplicationError(Exception):
    code = "invalid"
    status = 400

    def __init__(self, message: Any, *, code: str | None = None, details: Any = None) -> None:
        super().__init__(str(message))
        self.message = message
        if code:
            self.code = code
        self.details = details

    def __str__(self) -> str:
        return str(self.message)


class NotFound(ApplicationError):
    code = "not_found"
    status = 404


class Conflict(ApplicationError):
    code = "conflict"
    status = 409
