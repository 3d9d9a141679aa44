"""The SAVE and RESET request bodies of the IMS upload (domain doc §5), as pydantic models.

Every payload is validated with these models before it is written. The models only check; the
file is written from the payload itself, so an echoed record keeps its keys, values and types
exactly (extra fields are allowed on records and never coerced).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from imsrecon.normalise.gstin import GSTIN_LOOSE_PATTERN
from imsrecon.sections import UPLOAD_SECTION_KEYS

__all__ = ["ResetPayload", "ResetRecord", "SavePayload", "SaveRecord", "validate_payload"]

_INVDATA_KEYS = frozenset(UPLOAD_SECTION_KEYS.values())


def _known_section(key: str) -> str:
    if key not in _INVDATA_KEYS:
        raise ValueError(f"{key!r} is not an upload section ({', '.join(sorted(_INVDATA_KEYS))})")
    return key


SectionKey = Annotated[str, AfterValidator(_known_section)]
Gstin = Annotated[str, Field(pattern=GSTIN_LOOSE_PATTERN)]


class _Record(BaseModel):
    """One echoed record: any downloaded field, never `hash`, always `prev_status`."""

    model_config = ConfigDict(extra="allow", strict=True)

    prev_status: Literal["A", "R", "P", "N"]

    @model_validator(mode="before")
    @classmethod
    def _no_hash(cls, data: Any) -> Any:
        if isinstance(data, dict) and "hash" in data:
            raise ValueError("an upload record must not carry `hash`")
        return data


class SaveRecord(_Record):
    action: Literal["A", "R", "P"]

    @model_validator(mode="after")
    def _changes(self) -> SaveRecord:
        if self.action == self.prev_status:
            raise ValueError(f"action {self.action} equals prev_status: the record does not change")
        return self


class ResetRecord(_Record):
    prev_status: Literal["A", "R", "P"]  # a record at No action has nothing to reset

    @model_validator(mode="before")
    @classmethod
    def _no_action(cls, data: Any) -> Any:
        if isinstance(data, dict) and "action" in data:
            raise ValueError("a RESET record must not carry `action`")
        return data


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class SaveData(_Strict):
    rtin: Gstin
    reqtyp: Literal["SAVE"]
    invdata: Annotated[dict[SectionKey, Annotated[list[SaveRecord], Field(min_length=1)]], Field(min_length=1)]


class ResetData(_Strict):
    rtin: Gstin
    reqtyp: Literal["RESET"]
    invdata: Annotated[dict[SectionKey, Annotated[list[ResetRecord], Field(min_length=1)]], Field(min_length=1)]


class SavePayload(_Strict):
    action: Literal["SAVE"]
    data: SaveData


class ResetPayload(_Strict):
    action: Literal["RESETIMS"]
    data: ResetData


PAYLOAD_MODELS: dict[str, type[SavePayload] | type[ResetPayload]] = {"SAVE": SavePayload, "RESET": ResetPayload}


def validate_payload(request: str, payload: dict[str, Any]) -> None:
    """Raise pydantic's ``ValidationError`` when ``payload`` is not a valid ``request`` body
    (``"SAVE"`` or ``"RESET"``)."""
    PAYLOAD_MODELS[request].model_validate(payload)
