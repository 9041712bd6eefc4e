"""The facecli error family.

Every error the library raises on purpose derives from :class:`FaceCLIError`; the
command-line boundary turns one into a one-line message and exit status 1.
"""

from __future__ import annotations

__all__ = [
    "FaceCLIError",
    "InputError",
    "ValidationError",
    "FormatError",
    "SchemaError",
    "NotLandedError",
    "OutputError",
    "UsageError",
    "DependencyError",
    "Interrupted",
]


class FaceCLIError(Exception):
    """Base class of every error facecli raises deliberately."""


class InputError(FaceCLIError):
    """An input path is missing, unreadable or of the wrong kind."""


class ValidationError(InputError):
    """An array has the wrong shape, dtype or values (expected vs received)."""


class FormatError(InputError):
    """A file exists but does not follow the format it should have."""


class SchemaError(FormatError):
    """A facecli container has an unknown schema version or the wrong kind."""


class NotLandedError(FaceCLIError):
    """A command or feature whose issue has not landed yet."""


class OutputError(FaceCLIError):
    """An output cannot be written: locked by another run, disk full, permission..."""


class UsageError(InputError):
    """The command line itself is wrong (a malformed option value, a wrong number of
    inputs); the command-line boundary exits with status 2, like other usage errors."""


class DependencyError(FaceCLIError):
    """An installed package the work needs is missing or incomplete (the message says which
    and how to install it)."""


class Interrupted(KeyboardInterrupt):
    """The run was stopped by a signal (SIGINT or SIGTERM); ``signum`` says which."""

    def __init__(self, signum: int = 2) -> None:
        super().__init__(signum)
        self.signum = signum
