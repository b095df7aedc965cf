"""Settings shared by every service (pydantic-settings, env prefix ``KESU_``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

TOPIC_NAMES = ("complaint-events", "classification-events", "case-events", "sla-events", "notification-events")


class CommonSettings(BaseSettings):
    """What every Kesu process needs: storage, bus, consumer and HTTP settings."""

    model_config = SettingsConfigDict(env_prefix="KESU_", extra="ignore", populate_by_name=True)

    data_dir: Path = Path("kesu-data")
    database_url: str | None = None
    database_pool_size: int = 10
    bus: Literal["kafka", "memory"] = "memory"

    kafka_bootstrap_servers: str = "localhost:9092"
    kafka_enable_idempotence: bool = True
    kafka_fetch_max_wait_ms: int = 50
    kafka_session_timeout_ms: int = 10_000
    kafka_heartbeat_interval_ms: int = 3_000
    kafka_client_id: str = "kesu"

    topic_prefix: str = "kesu."
    topic_partitions: int = 6
    topic_replication_factor: int = 1
    topic_retention_ms: int = 7 * 24 * 3600 * 1000
    dlq_retention_ms: int = 30 * 24 * 3600 * 1000

    consumer_max_attempts: int = 5
    consumer_backoff_initial_s: float = 0.2
    consumer_backoff_max_s: float = 30.0
    consumer_batch_size: int = 200

    # A commit in this process wakes its relay at once; the interval is only the fallback.
    relay_interval_s: float = 0.5
    relay_batch_size: int = 500
    # After a wake-up the relay waits this long, so commits landing together go out in one batch.
    relay_linger_ms: float = Field(default=5.0, ge=0)
    outbox_retention_hours: int = 72

    # Staff access tokens: the cases service signs them, every staff API verifies them. Unset: a
    # key generated once into data_dir (fine for one host; set it when services run apart).
    jwt_secret: SecretStr | None = Field(default=None,
                                         validation_alias=AliasChoices("KESU_STAFF_JWT_SECRET", "jwt_secret"))
    jwt_issuer: str = Field(default="kesu/cases", validation_alias=AliasChoices("KESU_STAFF_JWT_ISSUER", "jwt_issuer"))
    jwt_audience: str = Field(default="kesu-staff",
                              validation_alias=AliasChoices("KESU_STAFF_JWT_AUDIENCE", "jwt_audience"))

    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    log_format: Literal["json", "console"] = "json"
    timezone: str = "Asia/Shanghai"

    def resolved_database_url(self) -> str:
        """The configured URL, or the embedded SQLite file under the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'kesu.sqlite').resolve()}"

    def bus_database_url(self) -> str:
        """Where the in-process bus keeps its durable log (its own file, so it never blocks services)."""
        return f"sqlite+aiosqlite:///{(self.data_dir / 'bus.sqlite').resolve()}"

    def topic(self, name: str) -> str:
        """The full topic name with the configured prefix."""
        return f"{self.topic_prefix}{name}"


def service_database_field(service: str) -> object:
    """A ``database_url`` field read from ``KESU_<SERVICE>_DATABASE_URL``, else ``KESU_DATABASE_URL``."""
    from pydantic import AliasChoices

    return Field(
        default=None,
        validation_alias=AliasChoices(
            f"KESU_{service.upper()}_DATABASE_URL", "KESU_DATABASE_URL"
        ),
    )
