"""The errors every face understands; each maps to one exit code of the command-line contract.

Bad usage or bad input is exit 2 and names where it is (file, line, field); an operational failure
(a server unreachable, a conflicting change) is exit 1.
"""

from __future__ import annotations


class HotlineError(Exception):
    """Base of every error hotline raises on purpose."""

    exit_code: int = 1

    def __init__(self, message: str, *, where: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.where = where

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class InvalidInput(HotlineError, ValueError):
    """Input that cannot be accepted; ``where`` names the file, line and field when there are any."""

    exit_code = 2


class NotFound(HotlineError, LookupError):
    """A named thing (client id, ticket number, login) does not exist."""

    exit_code = 2


class PermissionDenied(HotlineError, PermissionError):
    """The acting operator's role does not allow the operation. ``operation`` names it (from the permission
    table) and ``rule`` says which rule refused: ``role`` (the role is too low), ``owner`` (someone else's
    record), or ``None``; a face may say it in its own words from these, the message stays the CLI's."""

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        where: str | None = None,
        operation: str | None = None,
        rule: str | None = None,
    ) -> None:
        super().__init__(message, where=where)
        self.operation = operation
        self.rule = rule


class ConfigError(HotlineError):
    """The configuration file is wrong; raised when it is loaded, never later at 02:00."""

    exit_code = 2


class Conflict(HotlineError):
    """Someone else changed the record meanwhile (optimistic lock) or a unique fact already holds."""

    exit_code = 1


class Unavailable(HotlineError, ConnectionError):
    """A server (database, IMAP, SMTP) cannot be reached."""

    exit_code = 1


class DatabaseFailure(HotlineError):
    """The database refused a statement for a reason other than reachability."""

    exit_code = 1
