"""The provisioned Grafana dashboard queries metrics Kesu exports; Prometheus scrapes every service."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from prometheus_client import REGISTRY

import shared.metrics  # noqa: F401 - registers the shared metrics
import sla_tracker.telemetry  # noqa: F401 - registers the SLA metrics
from shared.migrations import SERVICES_WITH_MIGRATIONS as SERVICES

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "deploy" / "grafana" / "dashboards" / "kesu-sla.json"
PROMQL_WORDS = {"sum", "by", "rate", "increase", "histogram_quantile", "clamp_min", "le", "without", "avg", "max"}


def exported_names() -> set[str]:
    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",)}
    # Labelled metrics have no samples until first used, so derive the series names from the type.
    return {metric.name + suffix for metric in REGISTRY.collect() for suffix in suffixes.get(metric.type, ("",))}


def queried_names() -> set[str]:
    exprs = [t["expr"] for p in json.loads(DASHBOARD.read_text())["panels"] for t in p["targets"]]
    # Metric names: identifiers not inside {label selectors} or "strings", not PromQL words.
    stripped = [re.sub(r'\{[^}]*\}|"[^"]*"|\[[^\]]*\]', "", e) for e in exprs]
    found = {w for e in stripped for w in re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", e)}
    return found - PROMQL_WORDS - {"window", "policy", "clock", "branch", "business_line", "kind", "state",
                                   "consumer", "service", "outcome"}


def test_every_dashboard_query_names_an_exported_metric():
    queried = queried_names()
    assert {"kesu_sla_open_clocks", "kesu_consumer_lag", "kesu_outbox_backlog"} <= queried
    assert queried - exported_names() == set()


def test_the_dashboard_covers_what_ops_asked_for():
    titles = " ".join(p["title"].lower() for p in json.loads(DASHBOARD.read_text())["panels"])
    for wanted in ("open", "due", "branch", "business line", "on-time", "consumer lag", "outbox"):
        assert wanted in titles


def test_prometheus_scrapes_every_service_container_and_compose_runs_both():
    config = yaml.safe_load((ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text())
    targets = {t for job in config["scrape_configs"] for sc in job["static_configs"] for t in sc["targets"]}
    assert targets == {f"{name}:8000" for name in SERVICES}
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert {"prometheus", "grafana"} <= set(compose["services"])
    mounts = " ".join(compose["services"]["grafana"]["volumes"])
    assert "deploy/grafana/dashboards" in mounts and "deploy/grafana/provisioning" in mounts
