"""Errors a user can act on. The CLI prints them as one line and exits non-zero."""


class MscMineError(Exception):
    """Base class: the message is shown to the user as is, without a traceback."""

    exit_code = 1


class UsageError(MscMineError):
    """Bad input from the user: unknown format, malformed file, missing email."""

    exit_code = 2


class FetchError(MscMineError):
    """E-utilities failed after all retries; the message names the query and batch."""

    exit_code = 3


class LockedError(MscMineError):
    """Another run holds the review database's lock; this one stops at once."""

    exit_code = 4
