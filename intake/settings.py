"""Intake's settings."""

from __future__ import annotations

from pydantic import SecretStr

from shared.config import CommonSettings, service_database_field


class IntakeSettings(CommonSettings):
    """Settings of the intake service (``KESU_INTAKE_DATABASE_URL`` overrides the shared URL)."""

    database_url: str | None = service_database_field("intake")
    # Keyed hashing of complainant identifiers into a stable pseudonymous complainant_ref.
    pseudonym_key: SecretStr = SecretStr("kesu-dev-pseudonym-key-change-me")
