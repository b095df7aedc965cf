"""Notifier's settings."""

from __future__ import annotations

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
