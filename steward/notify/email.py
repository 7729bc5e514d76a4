"""Email through SMTP, with the standard library's email and smtplib."""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

from steward.config import Settings
from steward.notify.errors import DeliveryError
from steward.notify.outbox import Claimed


def message_id(key: str, sender: str) -> str:
    """A Message-ID fixed by the idempotency key: a resend is recognisably the same."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "steward.invalid"
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


def build_email(claimed: Claimed, sender: str) -> EmailMessage:
    payload = claimed.payload
    email = EmailMessage()
    email["From"] = sender
    email["To"] = claimed.target
    email["Subject"] = claimed.subject or ""
    email["Date"] = formatdate(usegmt=True)
    email["Message-ID"] = message_id(claimed.key, sender)
    email["X-Steward-Key"] = claimed.key
    if payload.get("unsubscribe_url"):
        # RFC 8058: mail clients offer their own unsubscribe button and POST
        # to this address, with no page and no session.
        email["List-Unsubscribe"] = f"<{payload['unsubscribe_url']}/one-click>"
        email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    email.set_content(payload.get("text", ""))
    if payload.get("html"):
        email.add_alternative(payload["html"], subtype="html")
    return email


class SmtpSender:
    """Sends one email per connection: simple, and nothing half-sent is shared."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def __call__(self, claimed: Claimed) -> None:
        settings = self.settings
        if not settings.smtp_host:
            raise DeliveryError(
                "no SMTP server: set STEWARD_SMTP_HOST (and STEWARD_SMTP_PORT)"
            )
        email = build_email(claimed, settings.email_from)
        try:
            with self._connect() as smtp:
                if settings.smtp_username and settings.smtp_password:
                    smtp.login(
                        settings.smtp_username,
                        settings.smtp_password.get_secret_value(),
                    )
                smtp.send_message(email)
        except smtplib.SMTPRecipientsRefused as error:
            raise DeliveryError(f"recipient refused: {error}", retry=False) from error
        except smtplib.SMTPResponseException as error:
            # 5xx is the server's final word; 4xx means try again later.
            retry = not 500 <= error.smtp_code < 600
            raise DeliveryError(
                f"SMTP {error.smtp_code}: {error}", retry=retry
            ) from error
        except (OSError, smtplib.SMTPException) as error:
            raise DeliveryError(f"SMTP: {error}") from error

    def _connect(self) -> smtplib.SMTP:
        settings = self.settings
        timeout = settings.delivery_timeout_seconds
        if settings.smtp_security == "ssl":
            return smtplib.SMTP_SSL(
                settings.smtp_host or "",
                settings.smtp_port,
                timeout=timeout,
                context=ssl.create_default_context(),
            )
        smtp = smtplib.SMTP(
            settings.smtp_host or "", settings.smtp_port, timeout=timeout
        )
        if settings.smtp_security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        return smtp
