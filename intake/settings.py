"""Intake's settings."""

from __future__ import annotations

from pydantic import Field, SecretStr

from shared.config import CommonSettings, service_database_field

# Development only: a fixed key so `kesu up` works out of the box. Production sets its own.
_DEV_VAULT_KEY = "a2VzdS1kZXYtdmF1bHQta2V5LWNoYW5nZS1tZS0wMDA="


class IntakeSettings(CommonSettings):
    """Settings of the intake service (``KESU_INTAKE_DATABASE_URL`` overrides the shared URL)."""

    database_url: str | None = service_database_field("intake")
    # Key of the blind index (keyed hashes of normalised identifiers). Changing it orphans every
    # existing complainant_ref match, so it does not rotate with the vault keys.
    pseudonym_key: SecretStr = SecretStr("kesu-dev-pseudonym-key-change-me")
    # AES-256 keys by id (base64 of 32 bytes), e.g. KESU_VAULT_KEYS='{"2026a": "...", "2027a": "..."}'.
    # New values are sealed with vault_active_key; old ids stay listed until `kesu rotate-key` ran.
    vault_keys: dict[str, SecretStr] = {"dev": SecretStr(_DEV_VAULT_KEY)}
    vault_active_key: str = "dev"

    max_body_bytes: int = 512 * 1024
    max_batch_body_bytes: int = 32 * 1024 * 1024
    # Per API key, in each intake process; a key's own rate_limit_per_s overrides it.
    rate_limit_per_s: float = 500.0
    rate_limit_burst_s: float = 2.0
    # How long a key lookup is cached in the process (a revoked key stops working within it).
    api_key_cache_s: float = 10.0
    # Allowed clock skew of a channel's received_at into the future.
    received_at_skew_s: float = 120.0

    # An Idempotency-Key protects retries for this long; after it the record is purged and the same
    # key would create a new complaint (cross-channel duplicate detection still links it).
    idempotency_retention_hours: int = Field(default=168, ge=1)
    idempotency_purge_interval_s: float = Field(default=3600.0, gt=0)
    idempotency_purge_batch: int = Field(default=5000, ge=1)

    # Concurrent POSTs are written together, at most this many per transaction (1: one each).
    group_commit_max_items: int = Field(default=200, ge=1, le=1000)

    duplicate_window_days: int = 30
    duplicate_threshold: float = 0.20
