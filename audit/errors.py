"""Exceptions that carry an HTTP-like status; one handler in the web layer renders them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a request; `field` names the field or the checklist item key."""

    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


class AppError(Exception):
    status = 400

    def __init__(self, message: str = "", problems: list[Problem] | None = None) -> None:
        self.message = message or self.__class__.__doc__ or "error"
        self.problems = problems or []
        super().__init__(self.message)


class NotFound(AppError):
    """Not found."""

    status = 404


class Invalid(AppError):
    """The request is not valid."""

    status = 422


class Conflict(AppError):
    """The request conflicts with what is stored."""

    status = 409


class TooLarge(AppError):
    """The request body is too large."""

    status = 413
