"""SLA tracker's settings."""

from __future__ import annotations

from shared.config import CommonSettings, service_database_field


class SlaSettings(CommonSettings):
    """Settings of the SLA tracker."""

    database_url: str | None = service_database_field("sla_tracker")
    scheduler_interval_s: float = 1.0
    warning_levels: list[int] = [50, 80]
