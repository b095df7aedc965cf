"""The taxonomy: the codes of every dimension, as versioned data an institution can edit."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path


@dataclass(frozen=True)
class Taxonomy:
    """Codes (with their Chinese labels) per dimension, and the flags a channel implies."""

    version: str
    codes: dict[str, dict[str, str]]
    channel_flags: dict[str, list[str]]

    @classmethod
    def from_dict(cls, data: dict) -> Taxonomy:
        """Build from the JSON layout of classifier/data/taxonomy.json."""
        dims = ("business_line", "cause", "flags", "emotion", "severity", "complexity")
        return cls(data["version"], {dim: data[dim] for dim in dims}, data.get("channel_flags", {}))

    @classmethod
    def load(cls, path: Path | None = None) -> Taxonomy:
        """The taxonomy at path, or the packaged default."""
        if path is None:
            return default_taxonomy()
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))

    def labels(self, dimension: str) -> list[str]:
        """The codes of one dimension in their documented order."""
        return list(self.codes[dimension])

    def validate(self, dimension: str, code: str) -> bool:
        """True when code belongs to the dimension."""
        return code in self.codes[dimension]


@lru_cache(maxsize=1)
def default_taxonomy() -> Taxonomy:
    """The taxonomy shipped with the package."""
    raw = resources.files("classifier").joinpath("data/taxonomy.json").read_text(encoding="utf-8")
    return Taxonomy.from_dict(json.loads(raw))
