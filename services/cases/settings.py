"""Settings of the cases service (`KESU_` common settings; its own as `KESU_CASES_<NAME>`)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr

from shared.config import CommonSettings, service_database_field

DATA = Path(__file__).parent / "data"


def _staff(name: str, default: object) -> object:
    """A staff/security field read from ``KESU_CASES_<NAME>`` (or its own name when constructed)."""
    return Field(default=default, validation_alias=AliasChoices(f"KESU_CASES_{name.upper()}", name))


def _workflow(name: str, default: object) -> object:
    """A workflow field read from ``KESU_CASES_<NAME>`` (or its own name when constructed)."""
    return Field(default=default, validation_alias=AliasChoices(f"KESU_CASES_{name.upper()}", name))


class CasesSettings(CommonSettings):
    """Settings of the case workflow and staff API."""

    database_url: str | None = service_database_field("cases")

    # --- workflow ---
    # Signs decision letters (the templates put it under the decision).
    bank_name: str = _workflow("bank_name", "Kesu 示范银行")
    # Assignment rules as data: branch + business line -> team, member choice, designated team.
    assignment_file: Path = _workflow("assignment_file", DATA / "assignment.yaml")
    # The statutory policy whose clock extensions are granted on (cn-nfra-2020, Art. 18).
    extension_policy: str = _workflow("extension_policy", "cn-nfra-2020")
    extension_clock: str = _workflow("extension_clock", "decision")
    # Disputes under this amount are offered the mediation fast lane.
    mediation_threshold: Decimal = _workflow("mediation_threshold", Decimal("50000"))
    mediation_currency: str = _workflow("mediation_currency", "CNY")
    # Days after a decision within which a review (核查/复查) may be requested (Order 3 Art. 20: 30).
    review_window_days: int = _workflow("review_window_days", 30)
    survey_ttl_days: int = _workflow("survey_ttl_days", 14)
    # Six months after closure, look back whether the complainant complained again.
    lookback_days: int = _workflow("lookback_days", 183)
    lookback_interval_s: float = _workflow("lookback_interval_s", 3600.0)
    lookback_batch_size: int = _workflow("lookback_batch_size", 200)

    # --- personal data ---
    # Intake's base URL and an intake API key with scope pii:reveal covering every channel: staff
    # reveals go to intake's vault (audited there and here). Unset: reveal answers 503.
    intake_url: str | None = _staff("intake_url", None)
    intake_api_key: SecretStr | None = _staff("intake_api_key", None)
    intake_timeout_s: float = _staff("intake_timeout_s", 5.0)

    # --- staff and security ---
    # Environment names are KESU_CASES_<FIELD> (see docs/staff-security.md).
    # The signing key, issuer and audience are common settings (KESU_STAFF_JWT_*): every API verifies them.
    access_token_ttl_s: int = _staff("access_token_ttl_s", 15 * 60)
    refresh_token_ttl_s: int = _staff("refresh_token_ttl_s", 8 * 3600)
    # Failed logins per username, and per client address, within the window before 429. The client
    # limit is higher because a branch's staff often share one NAT address.
    login_max_failures: int = _staff("login_max_failures", 5)
    login_max_client_failures: int = _staff("login_max_client_failures", 20)
    login_window_s: int = _staff("login_window_s", 15 * 60)
    # Look the user up on every request so a deactivated user is locked out at once.
    check_active_each_request: bool = _staff("check_active_each_request", True)
    # argon2id cost (argon2-cffi defaults, RFC 9106 low-memory profile); hashes are upgraded at login.
    argon2_time_cost: int = _staff("argon2_time_cost", 3)
    argon2_memory_cost_kib: int = _staff("argon2_memory_cost_kib", 65536)
    argon2_parallelism: int = _staff("argon2_parallelism", 4)
