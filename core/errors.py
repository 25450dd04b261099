"""Errors a person can act on.

A ``UserError`` carries a message meant for the person who caused it: the admin
flashes it, the CLI prints it on one line and exits non-zero, a job records it.
Anything else is a bug and is allowed to surface as one.
"""


class TesseraError(Exception):
    """Base for every error Tessera raises on purpose."""


class UserError(TesseraError):
    """Bad input or a refused operation; nothing was changed."""


class ConfigError(TesseraError):
    """A configuration value is missing or malformed; start-up stops."""


class NotFound(UserError):
    """The thing asked for does not exist for the current business."""


class PermissionDenied(UserError):
    """The current user may not do this."""
