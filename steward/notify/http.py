"""Slack incoming webhooks and the team's own signed webhooks, through httpx."""

from __future__ import annotations

import hashlib
import hmac
import time

import httpx
import orjson

from steward.config import Settings
from steward.notify.errors import DeliveryError
from steward.notify.outbox import Claimed

SIGNATURE_HEADER = "X-Steward-Signature"
KEY_HEADER = "X-Steward-Idempotency-Key"


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """``t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>." + body>``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(
    secret: str, header: str, body: bytes, *, now: float, tolerance: float = 300
) -> bool:
    """What a receiver does: recompute the HMAC, and refuse stale timestamps."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = sign(secret, body, timestamp).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def _post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> None:
    try:
        response = httpx.post(url, content=body, headers=headers, timeout=timeout)
    except httpx.HTTPError as error:
        raise DeliveryError(f"{url}: {type(error).__name__}: {error}") from error
    if response.is_success:
        return
    # The receiver refused this request; only overload or a timeout may pass.
    retry = response.status_code in (408, 429) or response.status_code >= 500
    raise DeliveryError(
        f"{url} answered {response.status_code}: {response.text[:200]}", retry=retry
    )


class SlackSender:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def __call__(self, claimed: Claimed) -> None:
        channel = claimed.target
        url = self.settings.slack_webhooks.get(channel)
        if url is None and channel == "default":
            url = self.settings.slack_webhook_url
        if url is None:
            raise DeliveryError(
                f"no Slack webhook for channel {channel!r}: set "
                f'STEWARD_SLACK_WEBHOOKS=\'{{"{channel}": "https://hooks.slack.com/..."}}\''
            )
        body = orjson.dumps({"text": claimed.payload.get("text", "")})
        headers = {"Content-Type": "application/json"}
        _post(url, body, headers, self.settings.delivery_timeout_seconds)


class WebhookSender:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def __call__(self, claimed: Claimed) -> None:
        endpoint = self.settings.webhooks.get(claimed.target)
        if endpoint is None:
            raise DeliveryError(
                f"no webhook endpoint {claimed.target!r}: set STEWARD_WEBHOOKS="
                f'\'{{"{claimed.target}": {{"url": "https://...", '
                '"secret": "..."}}\''
            )
        body = orjson.dumps(claimed.payload)
        secret = endpoint.secret.get_secret_value()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(secret, body, int(time.time())),
            KEY_HEADER: claimed.key,
            "X-Steward-Event": str(claimed.payload.get("event", "")),
        }
        _post(endpoint.url, body, headers, self.settings.delivery_timeout_seconds)
