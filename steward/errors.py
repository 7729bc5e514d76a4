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


class EditConflict(InputInvalid):
    """A change made from a version someone else has changed since."""


class AlreadyExists(StewardError):
    """Creating something whose unique key is taken (a user's email)."""


class NotEnoughHistory(StewardError):
    """Fitting needs outcomes and metrics that overlap in time."""


class PlaybookInvalid(ConfigInvalid):
    """A playbook, sequence, email template or automation file breaks a rule."""


class PlaybookNotFound(NotFound):
    pass


class OutboxMessageNotFound(NotFound):
    pass


class TranscriptInvalid(StewardError):
    """A transcript file that cannot be read; the message names the line."""


class DocumentNotFound(NotFound):
    pass


class SnippetNotFound(NotFound):
    pass


class TemplateNotFound(NotFound):
    pass


class WorkflowRefused(StewardError):
    """A review step that does not apply to the document's current state."""


class ModelUnavailable(StewardError):
    """An optional model (sentence embeddings, speech) is not installed here."""


class CoverageInvalid(ConfigInvalid):
    """The tiers, coverage models or renewal settings file breaks a rule."""


class ContractNotFound(NotFound):
    pass


class PayloadInvalid(StewardError):
    """A tracking request's body cannot be read (not gzip, not JSON, no batch)."""


class PayloadTooLarge(StewardError):
    """A tracking request or call passes Segment's size limits."""


class WriteKeyNotFound(NotFound):
    pass


class PlanNotFound(NotFound):
    pass


class PlanItemNotFound(NotFound):
    """A goal, KPI, milestone or responsibility that is not in the plan at hand."""


class PlanLinkNotFound(NotFound):
    pass


class PlanLinkRefused(PermissionDenied):
    """A customer link that exists but has expired or been revoked."""


class PortalLinkRefused(PermissionDenied):
    """A portal link that exists but has expired or been revoked."""


class RendererUnavailable(StewardError):
    """The PDF renderer (LibreOffice) is not installed or failed."""


class StoreUnavailable(StewardError):
    """The operational store's database cannot be opened or reached."""


def yaml_problem(error: Exception) -> str:
    """Where a YAML file breaks and why, as a person reads it (no parser internals)."""
    problem = getattr(error, "problem", None)
    mark = getattr(error, "problem_mark", None)
    if problem is None or mark is None:
        return str(error)
    text = f"line {mark.line + 1}, column {mark.column + 1}: {problem}"
    context = getattr(error, "context", None)
    start = getattr(error, "context_mark", None)
    if context and start is not None and start.line != mark.line:
        text += f" ({context} at line {start.line + 1}, column {start.column + 1})"
    return text
