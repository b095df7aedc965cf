"""SLA tracker's settings."""

from __future__ import annotations

from pathlib import Path

from shared.config import CommonSettings, service_database_field


class SlaSettings(CommonSettings):
    """Settings of the SLA tracker."""

    database_url: str | None = service_database_field("sla_tracker")
    scheduler_interval_s: float = 1.0
    scheduler_batch_size: int = 500
    # Which jurisdiction's selection rules apply to complaints this deployment receives.
    jurisdiction: str = "CN"
    # Replace the packaged policy presets or selection rules with an operator's files.
    policy_file: Path | None = None
    selection_file: Path | None = None
    metrics_refresh_s: float = 30.0
    # Handle each fetched batch of a partition in one transaction (falls back to one per event on failure).
    consumer_batch_transactions: bool = True
    # How often pending rollup deltas are folded into sla_clock_rollup (reads add the unfolded ones).
    rollup_fold_interval_s: float = 1.0
    calendar_refresh_s: float = 60.0
