"""Errors a person can act on.

A ``UserError`` carries a message meant for the person who caused it: the admin
flashes it, the CLI prints it on one line and exits non-zero, a job records it.
Anything else is a bug and is allowed to surface as one.
"""


class TesseraError(Exception):
    """Base for every error Tessera raises on purpose."""


class UserError(TesseraError):
    """Bad input or a refused operation; nothing was changed.

    The message is in words a clerk on a screen can follow (a job's error, a
    flash); ``cli_hint`` is what the command line adds to it ("or use
    --with-dependents"), since an option means nothing on a screen.
    """

    def __init__(self, *args, cli_hint: str | None = None):
        super().__init__(*args)
        self.cli_hint = cli_hint


class ConfigError(TesseraError):
    """A configuration value is missing or malformed; start-up stops."""


class NotFound(UserError):
    """The thing asked for does not exist for the current business."""


class PermissionDenied(UserError):
    """The current user may not do this."""


class FieldErrors(UserError):
    """Every problem of one input at once, each starting with the path of its field.

    ``FieldErrors(["lines[1].qty: must be greater than 0", "customer.tax_id: ..."])``:
    the message joins them with "; " (the CLI prints it on one line), and a form
    marks each of ``fields``. Services that take a plain payload (order entry,
    and the screens and API endpoints built the same way) raise it.
    """

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))

    @property
    def fields(self) -> set[str]:
        """The paths named ("lines[1].qty", "customer.tax_id")."""
        return {problem.split(":", 1)[0] for problem in self.problems}
