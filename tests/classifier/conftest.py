"""Fixtures for the classifier tests: one classifier on the packaged model, shared per session."""

from __future__ import annotations

import pytest

from classifier.lexicon import default_lexicon
from classifier.loading import load_bundle, packaged_model_path
from classifier.pipeline import Classifier
from classifier.taxonomy import default_taxonomy


@pytest.fixture(scope="session")
def classifier() -> Classifier:
    """The classifier as the service starts it when nothing was trained locally."""
    return Classifier(load_bundle(packaged_model_path()), default_lexicon(), default_taxonomy())
