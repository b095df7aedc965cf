"""Request models whose text PostgreSQL can store: NUL (U+0000) is refused with the field's name."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, field_validator
from pydantic_core import PydanticCustomError


class NulFree(BaseModel):
    """A request model whose string fields (also inside lists) may not contain U+0000.

    PostgreSQL's text type cannot hold it, so without this check such input passes validation
    and fails at INSERT as a 500; here it is a 422 naming the field, on SQLite too.
    """

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if _has_nul(value):
            raise PydanticCustomError("nul_character", "must not contain the NUL character (U+0000)")
        return value


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list | tuple):
        return any(isinstance(item, str) and "\x00" in item for item in value)
    return False
