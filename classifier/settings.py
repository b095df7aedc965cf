"""Classifier's settings."""

from __future__ import annotations

from shared.config import CommonSettings, service_database_field


class ClassifierSettings(CommonSettings):
    """Settings of the classifier service."""

    database_url: str | None = service_database_field("classifier")
    review_threshold: float = 0.5
