"""Which trained model the service uses: the newest trained one, else the packaged default.

Loaded bundles are cached per path, so every service built in one process shares one copy.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

import structlog

from classifier.lexicon import Lexicon
from classifier.model import ModelBundle
from classifier.pipeline import Classifier
from classifier.settings import ClassifierSettings
from classifier.taxonomy import Taxonomy

log = structlog.get_logger()
PACKAGED_MODEL = "data/model"


def packaged_model_path() -> Path:
    """The model trained from the shipped data (no corrections), kept in the package."""
    root = Path(str(resources.files("classifier").joinpath(PACKAGED_MODEL)))
    return root / (root / "current").read_text(encoding="utf-8").strip()


def current_model_path(model_dir: Path) -> Path:
    """model_dir/<version named in model_dir/current>, or the packaged model when none was trained."""
    pointer = Path(model_dir) / "current"
    if pointer.is_file():
        candidate = Path(model_dir) / pointer.read_text(encoding="utf-8").strip()
        if (candidate / "meta.json").is_file():
            return candidate
        log.warning("classifier model pointer is broken; using the packaged model", pointer=str(pointer))
    return packaged_model_path()


@lru_cache(maxsize=8)
def _bundle(path: str, stamp: float) -> ModelBundle:
    # stamp (meta.json mtime) is part of the key, so a retrained model at the same path reloads.
    return ModelBundle.load(Path(path))


def load_bundle(path: Path) -> ModelBundle:
    """A bundle from disk, cached per path and modification time."""
    return _bundle(str(path), (Path(path) / "meta.json").stat().st_mtime)


def load_classifier(settings: ClassifierSettings, model_path: Path | None = None) -> Classifier:
    """The classifier the settings describe, with the newest trained model."""
    path = model_path or current_model_path(settings.model_dir())
    bundle = load_bundle(path)
    taxonomy = Taxonomy.load(settings.classifier_taxonomy_path)
    lexicon = Lexicon.load(settings.classifier_lexicon_path)
    return Classifier(bundle, lexicon, taxonomy, review_threshold=settings.review_threshold)
