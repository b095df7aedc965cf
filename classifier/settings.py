"""Classifier's settings."""

from __future__ import annotations

from pathlib import Path

from shared.config import CommonSettings, service_database_field


class ClassifierSettings(CommonSettings):
    """Settings of the classifier service."""

    database_url: str | None = service_database_field("classifier")
    review_threshold: float = 0.5
    # Where `kesu classifier train` writes versioned models; default <data_dir>/classifier-models.
    classifier_model_dir: Path | None = None
    # An institution's own taxonomy or lexicon JSON; default the packaged ones.
    classifier_taxonomy_path: Path | None = None
    classifier_lexicon_path: Path | None = None
    # Handle each fetched batch of a partition in one transaction and classify it in one call
    # (falls back to one transaction per event on failure, so a poison event still dead-letters alone).
    consumer_batch_transactions: bool = True

    def model_dir(self) -> Path:
        """The directory holding trained models and the ``current`` pointer."""
        return self.classifier_model_dir or self.data_dir / "classifier-models"
