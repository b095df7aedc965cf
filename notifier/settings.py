"""Notifier's settings."""

from __future__ import annotations

from datetime import time

from pydantic import SecretStr

from shared.config import CommonSettings, service_database_field


class NotifierSettings(CommonSettings):
    """Settings of the notifier."""

    database_url: str | None = service_database_field("notifier")
    # Where acknowledgements of received complaints are posted (none: not sent).
    ack_webhook_url: str | None = None
    webhook_secret: SecretStr = SecretStr("kesu-dev-webhook-secret-change-me")
    webhook_timeout_s: float = 10.0
    delivery_interval_s: float = 0.2
    delivery_max_attempts: int = 12
    delivery_backoff_initial_s: float = 2.0
    delivery_backoff_max_s: float = 3600.0
    delivery_backoff_jitter_s: float = 0.5
    delivery_lease_s: float = 60.0
    # A subscription is disabled (and an error logged) after this many failed attempts in a row
    # across its notifications; 0 never disables. The default spans several full retry schedules.
    webhook_disable_after_failures: int = 50

    # Rules as data: which event reaches whom by which channel (default: the packaged rules.yaml).
    notifier_rules_file: str | None = None
    # Staff directory seed (YAML list of entries), upserted at start-up when set.
    notifier_directory_file: str | None = None
    # Intake's base URL and an intake API key with scope pii:reveal (every channel), for the
    # complainant's e-mail address and phone number. Unset: customer e-mail/SMS fail, recorded.
    notifier_contact_url: str | None = None
    notifier_contact_api_key: SecretStr | None = None
    notifier_contact_timeout_s: float = 5.0

    # E-mail over SMTP (unset host: the e-mail channel is off and its rules are skipped).
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_starttls: bool = True
    smtp_implicit_tls: bool = False
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "Kesu <noreply@kesu.invalid>"
    smtp_timeout_s: float = 10.0
    # A CA bundle to trust (e.g. a private CA); the system store otherwise.
    smtp_ca_file: str | None = None

    # SMS through an HTTP gateway (unset URL: the SMS channel is off and its rules are skipped).
    sms_gateway_url: str | None = None
    sms_gateway_auth_header: SecretStr | None = None  # e.g. "Authorization: Bearer ..."
    sms_gateway_body_template: str = '{"to": {{ to|tojson }}, "text": {{ text|tojson }}, "ref": {{ ref|tojson }}}'
    sms_gateway_content_type: str = "application/json"
    sms_timeout_s: float = 10.0
    sms_max_parts: int = 3
    # No SMS to complainants between these local times (their time zone: KESU_TIMEZONE).
    sms_quiet_start: time = time(21, 0)
    sms_quiet_end: time = time(8, 0)

