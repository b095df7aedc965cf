"""One delivery attempt on any channel: webhook, e-mail, SMS or in-app."""

from __future__ import annotations

from datetime import datetime

import httpx

from notifier import mailer, rules, sms
from notifier.contacts import ContactResolver, ContactUnavailable
from notifier.people import COMPLAINANT
from notifier.settings import NotifierSettings
from notifier.webhook import DeliveryResult, post_webhook

NO_RESOLVER = ("no contact resolver configured (set KESU_NOTIFIER_CONTACT_URL and KESU_NOTIFIER_CONTACT_API_KEY): "
               "the complainant's address cannot be looked up")


def _failed(error: str, *, permanent: bool = False) -> DeliveryResult:
    return DeliveryResult(False, None, error, 0.0, permanent=permanent)


def smtp_server(settings: NotifierSettings) -> mailer.SmtpServer | None:
    """The SMTP server the settings name, or None when e-mail is off."""
    if not settings.smtp_host:
        return None
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    return mailer.SmtpServer(settings.smtp_host, settings.smtp_port, settings.smtp_from, settings.smtp_starttls,
                             settings.smtp_implicit_tls, settings.smtp_username, password, settings.smtp_timeout_s,
                             settings.smtp_ca_file)


def sms_gateway(settings: NotifierSettings) -> sms.SmsGateway | None:
    """The SMS gateway the settings name, or None when SMS is off."""
    if not settings.sms_gateway_url:
        return None
    auth = settings.sms_gateway_auth_header.get_secret_value() if settings.sms_gateway_auth_header else None
    return sms.SmsGateway(settings.sms_gateway_url, body_template=settings.sms_gateway_body_template,
                          content_type=settings.sms_gateway_content_type, auth_header=auth,
                          timeout_s=settings.sms_timeout_s)


class Channels:
    """Delivers a claimed notification by its channel and reports one attempt."""

    def __init__(self, settings: NotifierSettings, *, contacts: ContactResolver | None) -> None:
        self.settings = settings
        self.smtp = smtp_server(settings)
        self.sms = sms_gateway(settings)
        self.contacts = contacts

    def enabled(self) -> frozenset[str]:
        """Channels rules may use: webhooks and in-app always; e-mail and SMS when configured."""
        return frozenset({"webhook", "in_app"} | ({"email"} if self.smtp else set()) | ({"sms"} if self.sms else set()))

    async def deliver(self, client: httpx.AsyncClient, notification, now: datetime) -> DeliveryResult:
        """Attempt one delivery; never raises."""
        if notification.channel == "webhook":
            return await self._webhook(client, notification, now)
        if notification.channel == "in_app":
            return DeliveryResult(True, None, None, 0.0)  # recorded is delivered: the API shows it now
        if notification.channel == "email":
            return await self._email(notification, now)
        if notification.channel == "sms":
            return await self._sms(client, notification, now)
        return _failed(f"unknown channel {notification.channel!r}", permanent=True)

    async def _webhook(self, client: httpx.AsyncClient, n, now: datetime) -> DeliveryResult:
        # A subscription signs with its own secret(s); the acknowledgement URL with the configured one.
        if n.subscription_id is None:
            secrets = [self.settings.webhook_secret.get_secret_value().encode()]
        else:
            secrets = [s.encode() for s in rules.signing_secrets(n._mapping, now)]
        return await post_webhook(client, n.webhook_url or n.recipient, n.body, secrets=secrets,
                                  idempotency_key=n.id, timeout_s=self.settings.webhook_timeout_s)

    async def _email(self, n, now: datetime) -> DeliveryResult:
        if self.smtp is None:
            return _failed("the e-mail channel is not configured (KESU_SMTP_HOST)", permanent=True)
        address = await self._address(n, "email")
        if isinstance(address, DeliveryResult):
            return address
        message = mailer.build_message(sender=self.smtp.sender, to=address, subject=n.body["subject"],
                                       text=n.body["text"], html=n.body["html"], now=now, notification_id=n.id)
        return _with_recipient(await mailer.send(self.smtp, message), n, address)

    async def _sms(self, client: httpx.AsyncClient, n, now: datetime) -> DeliveryResult:
        if self.sms is None:
            return _failed("the SMS channel is not configured (KESU_SMS_GATEWAY_URL)", permanent=True)
        if n.recipient_kind == COMPLAINANT:
            quiet = sms.quiet_until(now, self.settings.timezone, self.settings.sms_quiet_start,
                                    self.settings.sms_quiet_end)
            if quiet:
                return DeliveryResult(False, None, None, 0.0, defer_until=quiet)
        address = await self._address(n, "sms")
        if isinstance(address, DeliveryResult):
            return address
        return _with_recipient(await self.sms.send(client, to=address, text=n.body["text"], ref=n.id), n, address)

    async def _address(self, n, channel: str) -> str | DeliveryResult:
        """Staff addresses were resolved when recorded; the complainant's is asked of intake now."""
        if n.recipient_kind != COMPLAINANT:
            return n.recipient
        if self.contacts is None:
            return _failed(NO_RESOLVER, permanent=True)
        try:
            contact = await self.contacts.contact(n.complaint_id)
        except ContactUnavailable as exc:
            return _failed(str(exc))
        address = contact and (contact.email if channel == "email" else contact.phone)
        if not address:
            return _failed(f"the complainant has no {'e-mail address' if channel == 'email' else 'phone number'} "
                           "on record", permanent=True)
        return address


def _with_recipient(result: DeliveryResult, n, address: str) -> DeliveryResult:
    """Keep the address used on the row (only for the complainant, whose address was not stored before)."""
    if n.recipient_kind != COMPLAINANT:
        return result
    return DeliveryResult(result.ok, result.status_code, result.error, result.duration_ms, result.retry_after_s,
                          result.permanent, address)
