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


class AccountNotFound(StewardError):
    pass


class NotEnoughHistory(StewardError):
    """Fitting needs outcomes and metrics that overlap in time."""
