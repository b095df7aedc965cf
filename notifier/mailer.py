"""E-mail over SMTP (STARTTLS or implicit TLS, optional AUTH): multipart text + HTML, UTF-8."""

from __future__ import annotations

import ssl
import time
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from datetime import datetime

import aiosmtplib

from notifier.webhook import DeliveryResult


@dataclass(frozen=True)
class SmtpServer:
    """Where and how to submit mail."""

    host: str
    port: int
    sender: str
    starttls: bool = True
    implicit_tls: bool = False
    username: str | None = None
    password: str | None = None
    timeout_s: float = 10.0
    ca_file: str | None = None

    def tls_context(self) -> ssl.SSLContext:
        """Verify the server's certificate against the system store or the configured CA file."""
        return ssl.create_default_context(cafile=self.ca_file)


def build_message(*, sender: str, to: str, subject: str, text: str, html: str, now: datetime,
                  notification_id: str) -> EmailMessage:
    """A multipart/alternative message; non-ASCII headers and bodies are encoded by the email package."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(idstring=notification_id.replace("-", ""), domain=_domain(sender))
    # Lets a mail system dedupe a retried message, as Idempotency-Key does for webhooks.
    message["Kesu-Notification-Id"] = notification_id
    message.set_content(text, charset="utf-8")
    message.add_alternative(html, subtype="html", charset="utf-8")
    return message


def _domain(sender: str) -> str:
    address = parseaddr(sender)[1]
    return Address(addr_spec=address).domain if "@" in address else "kesu.invalid"


async def send(server: SmtpServer, message: EmailMessage) -> DeliveryResult:
    """Submit one message; any SMTP or network error is a failed attempt."""
    started = time.perf_counter()
    options = dict(hostname=server.host, port=server.port, timeout=server.timeout_s,
                   username=server.username, password=server.password)
    if server.implicit_tls or server.starttls:
        options |= dict(use_tls=server.implicit_tls, start_tls=server.starttls and not server.implicit_tls,
                        tls_context=server.tls_context())
    else:
        options |= dict(use_tls=False, start_tls=False)
    try:
        errors, _reply = await aiosmtplib.send(message, **options)
    except (aiosmtplib.SMTPException, OSError) as exc:
        code = getattr(exc, "code", None)
        return DeliveryResult(False, code if isinstance(code, int) else None, f"{type(exc).__name__}: {exc}",
                              _ms(started))
    if errors:
        return DeliveryResult(False, None, f"recipients refused: {sorted(errors)}", _ms(started))
    return DeliveryResult(True, 250, None, _ms(started))


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000
