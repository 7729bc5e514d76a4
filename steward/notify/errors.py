"""How a transport says a send did not happen."""

from __future__ import annotations


class DeliveryError(Exception):
    """The message was not delivered; ``retry`` says whether trying again may help."""

    def __init__(self, message: str, *, retry: bool = True) -> None:
        super().__init__(message)
        self.retry = retry
