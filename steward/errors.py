"""Domain errors. The CLI turns them into ``Error: ...`` with exit code 1."""

from __future__ import annotations


class StewardError(Exception):
    """Base class: the message is written for the person who has to fix it."""


class ConfigInvalid(StewardError):
    """A scorecard, journey or mapping file breaks a rule."""


class MappingInvalid(ConfigInvalid):
    pass


class ScorecardInvalid(ConfigInvalid):
    pass


class JourneyInvalid(ConfigInvalid):
    pass


class ImportFailed(StewardError):
    """A whole file could not be read (rows with problems are reported instead)."""


class NotFound(StewardError):
    """An object that does not exist, or that the person asking may not see."""


class AccountNotFound(NotFound):
    pass


class TaskNotFound(NotFound):
    pass


class UserNotFound(NotFound):
    pass


class ApiTokenNotFound(NotFound):
    pass


class PermissionDenied(StewardError):
    """The person may see the object but their role may not change it."""


class SignInRequired(StewardError):
    """No valid session or API token, or a wrong email or password."""


class InputInvalid(StewardError):
    """A value a person sent breaks a rule; ``field`` names where it was."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class AlreadyExists(StewardError):
    """Creating something whose unique key is taken (a user's email)."""


class NotEnoughHistory(StewardError):
    """Fitting needs outcomes and metrics that overlap in time."""


class PlaybookInvalid(ConfigInvalid):
    """A playbook, sequence, email template or automation file breaks a rule."""


class PlaybookNotFound(StewardError):
    pass


class OutboxMessageNotFound(StewardError):
    pass
