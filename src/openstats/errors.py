"""One family of exceptions: every error we expect carries a message a person can act on."""

from __future__ import annotations


class OpenstatsError(Exception):
    """Base of every expected error. `where` names the file, field or path at fault."""

    def __init__(self, message: str, where: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.where = where

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class UsageError(OpenstatsError):
    """The caller asked for something impossible: a missing file, a bad option."""


class ScreeningFailed(OpenstatsError):
    """A data set has blocking findings and cannot be imported."""

    def __init__(self, message: str, report: object) -> None:
        super().__init__(message)
        self.report = report


class ManifestError(OpenstatsError):
    """A release manifest is invalid; `errors` lists every problem found, by field."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


class AccountError(OpenstatsError):
    """A sign-in or account problem to show the person."""


class NotFound(OpenstatsError):
    """The thing asked for does not exist (or is not public)."""


class SettingsError(OpenstatsError):
    """A setting has a value we cannot use; `where` names the environment variable."""


class StorageError(OpenstatsError):
    """Version storage cannot be reached or refused a request (bucket missing, no access)."""


class CatalogueUnavailable(OpenstatsError):
    """The catalogue database cannot be reached (down, restarting, its file gone) or is too
    busy to answer. Readers are served from the last published snapshot meanwhile; what
    needs the database is refused with 503 until it answers again."""


class StorageUnavailable(StorageError):
    """Version storage cannot be reached now (connection refused or cut, timed out, a
    server error): worth trying again later, unlike a missing object or a refusal."""
