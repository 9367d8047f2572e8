"""Errors the user can fix. The CLI prints them as one line and exits with code 2."""


class SweeperError(Exception):
    """Something the user can fix: `what` went wrong, `fix` says how to mend it."""

    def __init__(self, what: str, fix: str | None = None):
        super().__init__(what)
        self.what = what
        self.fix = fix

    def __str__(self) -> str:
        return f"{self.what} — {self.fix}" if self.fix else self.what


class StudyFileError(SweeperError):
    """A study file that is missing, does not run, or declares no valid Study."""


class ConfigError(SweeperError):
    """A training setting or search-space value that is unknown or out of range."""


class StorageError(SweeperError):
    """A storage URL that is malformed or a database that cannot be reached."""


class UsageError(SweeperError):
    """A command-line value that makes no sense (--workers 0, a bad --set)."""


class SetupError(SweeperError):
    """A fault of this machine, not of the trial: weights not cached, data or artifacts unreadable
    or unwritable. A trial that meets one goes back to the queue and the run stops: retrying it
    elsewhere, or after the fix, is right; counting it as a failed trial is not."""


class UnknownStudyError(SweeperError):
    """No study of that name in the storage: every command says so in the same line."""


class TrialsFailingError(SweeperError):
    """Trials kept failing (their own error, or their executor lost) one after another: the
    run stopped rather than spend the budget on a trainer or setting that cannot work."""
