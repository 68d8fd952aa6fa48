"""One family of exceptions for every mistake a user can make.

The CLI prints the message of a :class:`GameDayError` on one line and exits
non-zero; notebooks show it without a long traceback. Anything else that
escapes is a bug in the kit, not a user mistake.
"""

from __future__ import annotations


class GameDayError(Exception):
    """A user mistake: the message says what was wrong and what to do."""


class UsageError(GameDayError):
    """A bad option or argument (unknown scenario, negative seed, ...)."""


class DatasetError(GameDayError):
    """A data set folder that is missing, incomplete or not writable."""


class LogFormatError(GameDayError):
    """A file that is not the AWS log it claims to be (corrupt gzip, wrong JSON, ...)."""
