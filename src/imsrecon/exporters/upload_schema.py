"""The shapes of the IMS upload: the plan (:class:`UploadPlan`), and the SAVE and RESET request
bodies (domain doc §5) as pydantic models, the compact JSON they are written as, and the split of
a large upload into requests below a size.

Every payload is validated with these models before it is written. The models only check; the
file is written from the payload itself, so an echoed record keeps its keys, values and types
exactly (extra fields are allowed on records and never coerced).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import polars as pl
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from imsrecon.normalise.gstin import GSTIN_LOOSE_PATTERN
from imsrecon.sections import UPLOAD_SECTION_KEYS

__all__ = [
    "DEFAULT_MAX_BYTES", "PlannedAction", "ResetPayload", "ResetRecord", "SavePayload", "SaveRecord",
    "UploadPlan", "UploadProblem", "dumps", "envelope", "request_files", "split_invdata", "validate_payload",
]  # fmt: skip

DEFAULT_MAX_BYTES = 4_000_000  # per request (domain doc §5, single source)
REQUEST_ENVELOPE = {"SAVE": ("SAVE", "SAVE"), "RESET": ("RESETIMS", "RESET")}  # request -> (action, reqtyp)

_INVDATA_KEYS = frozenset(UPLOAD_SECTION_KEYS.values())


# --- the plan ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UploadProblem:
    section: str | None
    doc_no: str | None
    supplier_gstin: str | None
    rule: str
    message: str
    src_file: str | None = None
    src_row: int | None = None
    current_action: str | None = None
    new_action: str | None = None


@dataclass(frozen=True, slots=True)
class PlannedAction:
    request: str  # "SAVE" or "RESET"
    section: str  # the invdata key
    doc_no: str | None
    supplier_gstin: str | None
    prev_status: str
    new_action: str
    record: dict[str, Any]


@dataclass
class UploadPlan:
    recipient_gstin: str
    planned: list[PlannedAction]
    skipped: pl.DataFrame  # the input rows whose action does not change, with `reason`
    problems: list[UploadProblem] = field(default_factory=list)

    def _records(self, request: str) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {}
        for p in self.planned:
            if p.request == request:
                out.setdefault(p.section, []).append(p.record)
        return out

    @property
    def save_records(self) -> dict[str, list[dict[str, Any]]]:
        return self._records("SAVE")

    @property
    def reset_records(self) -> dict[str, list[dict[str, Any]]]:
        return self._records("RESET")


# --- the request bodies ------------------------------------------------------------------------


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


def dumps(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


def envelope(request: str, rtin: str, invdata: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    action, reqtyp = REQUEST_ENVELOPE[request]
    return {"action": action, "data": {"rtin": rtin, "reqtyp": reqtyp, "invdata": invdata}}


def split_invdata(request: str, rtin: str, records: dict[str, list[dict[str, Any]]],
                  max_bytes: int) -> Iterator[dict[str, list[dict[str, Any]]]]:  # fmt: skip
    """Greedy: records in order into each request until the next would reach ``max_bytes``.

    Sizes are those of the compact JSON :func:`dumps` writes, counted exactly."""
    base = len(dumps(envelope(request, rtin, {})))
    chunk: dict[str, list[dict[str, Any]]] = {}
    size = base
    for key, recs in records.items():
        opening = len(dumps(key)) + 3  # "key":[ ... ]
        for rec in recs:
            rb = len(dumps(rec))
            add = rb + 1 if key in chunk else rb + opening + (1 if chunk else 0)
            if size + add >= max_bytes and chunk:
                yield chunk
                chunk, size, add = {}, base, rb + opening
            if size + add >= max_bytes:
                raise ValueError(f"a {request} record of {rb} bytes cannot fit in a request below {max_bytes} bytes")
            chunk.setdefault(key, []).append(rec)
            size += add
    if chunk:
        yield chunk


def request_files(
    rtin: str, records: dict[str, dict[str, list[dict[str, Any]]]], max_bytes: int = DEFAULT_MAX_BYTES
) -> list[tuple[str, bytes]]:
    """(file name, bytes) of every request file (``SAVE-1.json``…): ``records`` is request ->
    invdata key -> records; each file is validated and below ``max_bytes``."""
    files: list[tuple[str, bytes]] = []
    for request, by_section in records.items():
        for n, invdata in enumerate(split_invdata(request, rtin, by_section, max_bytes), 1):
            payload = envelope(request, rtin, invdata)
            validate_payload(request, payload)
            data = dumps(payload)
            if len(data) >= max_bytes:  # the split counts exactly: this is a bug, never the input
                raise AssertionError(f"{request}-{n}.json has {len(data)} bytes, not below {max_bytes}")
            files.append((f"{request}-{n}.json", data))
    return files
