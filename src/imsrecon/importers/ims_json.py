"""IMS JSON: the portal/API `data` envelope and the offline tool's `imsDetails` envelope."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import polars as pl

from imsrecon.importers.assemble import RawFrame, assemble
from imsrecon.importers.base import ImportOptions, ImportResult, load_json
from imsrecon.issues import InputFileError, RowIssue, Severity
from imsrecon.model import Side, SourceKind
from imsrecon.sections import FIELD_ALIASES, SECTIONS, Section, section_for_key

# canonical portal field -> model field
PORTAL_TO_MODEL = {
    "stin": "supplier_gstin",
    "trdnm": "supplier_name",
    "pos": "place_of_supply",
    "txval": "taxable_value",
    "iamt": "igst",
    "camt": "cgst",
    "samt": "sgst",
    "cess": "cess",
    "val": "doc_value",
    "action": "action",
    "ispendactblocked": "ispendactblocked",
    "srcform": "srcform",
    "rtnprd": "rtnprd",
    "srcfilstatus": "srcfilstatus",
    "inv_typ": "inv_typ",
    "hash": "hash",
    "remarks": "remarks",
    "itcRedReq": "itc_red_req",
    "declIgst": "decl_igst",
    "declCgst": "decl_cgst",
    "declSgst": "decl_sgst",
    "declCess": "decl_cess",
    "isRemarksBlocked": "is_remarks_blocked",
    "isItcRedReqBlocked": "is_itc_red_req_blocked",
    "rev": "reverse_charge",
}
_ENVELOPES = ("data", "imsDetails", "ims_details", "invdata")
_RECIPIENT_KEYS = ("rtin", "gstin", "ctin_recipient")


def _unwrap(doc: Any) -> tuple[dict[str, Any], str | None, bool]:
    """(sections dict, recipient GSTIN if the file names one, offline-tool envelope?)."""
    if not isinstance(doc, dict):
        raise InputFileError("", "the JSON is not an object")
    recipient = next((doc[k] for k in _RECIPIENT_KEYS if isinstance(doc.get(k), str)), None)
    offline = False
    body: Any = doc
    for _ in range(3):  # envelopes nest: {"data": {"imsDetails": {...}}}
        key = next((k for k in _ENVELOPES if isinstance(body.get(k), dict)), None)
        if key is None:
            break
        offline = offline or key in ("imsDetails", "ims_details")
        body = body[key]
        recipient = recipient or next((body[k] for k in _RECIPIENT_KEYS if isinstance(body.get(k), str)), None)
    return body, recipient, offline


def looks_like_ims(doc: Any) -> bool:
    try:
        body, _, _ = _unwrap(doc)
    except InputFileError:
        return False
    if "docdata" in body:  # GSTR-2B
        return False
    return any(section_for_key(k) is not None and isinstance(v, list) for k, v in body.items())


def _canonical(record: dict[str, Any]) -> dict[str, Any]:
    return {FIELD_ALIASES.get(k, k): v for k, v in record.items()}


def _column(values: list[Any]) -> pl.Series:
    if all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in values):
        return pl.Series(values, dtype=pl.Float64)
    return pl.Series([None if v is None else str(v) for v in values], dtype=pl.String)


def section_display(section: Section) -> dict[str, str]:
    """model field -> portal field name, for messages."""
    return {model: portal for portal, model in _section_fields(section).items()}


def _section_fields(section: Section) -> dict[str, str]:
    fields = {section.number_field: "doc_no", section.date_field: "doc_date", **PORTAL_TO_MODEL}
    if section.orig_number_field:
        fields[section.orig_number_field] = "orig_doc_no"
        fields[section.orig_date_field or ""] = "orig_doc_date"
    return fields


def _portal_name(fields: dict[str, str], model_name: str) -> str:
    return next(p for p, m in fields.items() if m == model_name)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def section_frame(section: Section, records: list[dict[str, Any]]) -> pl.DataFrame:
    """Raw frame (model field names) for one section's records."""
    canon = [_canonical(r) for r in records]
    fields = _section_fields(section)
    columns: dict[str, pl.Series] = {}
    for portal_name, model_name in fields.items():
        values = [r.get(portal_name) for r in canon]
        if any(v is not None for v in values):
            columns[model_name] = _column(values)
    for text_field in ("doc_no", "orig_doc_no", "place_of_supply", "rtnprd", "supplier_gstin"):
        if text_field in columns:  # numbers written as JSON numbers stay whole: 1234, not 1234.0
            values = [r.get(p) for r in canon for p in [_portal_name(fields, text_field)]]
            columns[text_field] = pl.Series([_text(v) for v in values], dtype=pl.String)
    n = len(records)
    frame = pl.DataFrame(columns, height=n)
    return frame.with_columns(
        pl.Series("portal_record", [orjson.dumps(r).decode() for r in records], dtype=pl.String),
        pl.lit(section.doc_class.value).alias("doc_class"),
        pl.lit(section.key).alias("ims_section"),
        pl.lit(section.is_amendment).alias("is_amendment"),
        pl.int_range(1, n + 1, dtype=pl.Int64).alias("src_row"),
        pl.lit(section.key).alias("src_sheet"),
    )


class ImsJsonImporter:
    kind = SourceKind.IMS_JSON
    side = Side.IMS

    def identify(self, path: Path, head: bytes) -> bool:
        if path.suffix.lower() != ".json":
            return False
        text = head.decode("utf-8", "ignore")
        return "docdata" not in text and any(
            f'"{k}"' in text for k in ("b2b", "b2bcn", "b2bdn", "b2ba", "cn", "dn", "ecom", "imsDetails", "impg")
        )

    def read(self, path: Path, options: ImportOptions) -> ImportResult:
        doc = load_json(path, options)
        try:
            body, recipient, offline = _unwrap(doc)
        except InputFileError as exc:
            raise InputFileError(path.name, exc.reason) from None
        kind = SourceKind.IMS_OFFLINE_JSON if offline else SourceKind.IMS_JSON
        recipient = (recipient or options.recipient_gstin or "").strip().upper() or None
        result = ImportResult(path.name, kind, Side.IMS, recipient_gstin=recipient)
        frames, issues = [], []
        for key, records in body.items():
            section = section_for_key(key)
            if not isinstance(records, list):
                continue
            if section is None:
                if records:
                    issues.append(RowIssue(
                        Severity.WARNING, path.name, None, key, None,
                        f"section '{key}' is not an IMS section: its {len(records)} records were not imported",
                        code="unknown_section",
                    ))
                    result.rows_read += len(records)
                continue
            good = [r for r in records if isinstance(r, dict)]
            for i, r in enumerate(records, 1):
                if not isinstance(r, dict):
                    issues.append(RowIssue(Severity.ERROR, path.name, i, None, repr(r)[:60],
                                           "record is not a JSON object", sheet=key, code="record"))
            result.rows_read += len(records)
            if not good:
                continue
            raw = RawFrame(section_frame(section, good), path.name, Side.IMS, kind.value,
                           display=section_display(section), recipient_gstin=recipient)
            docs, found = assemble(raw)
            frames.append(docs)
            issues += found
        if result.rows_read == 0 and not any(section_for_key(k) for k in body):
            raise InputFileError(path.name, "no IMS sections (b2b, b2ba, b2bcn, …) in this JSON")
        if frames:
            result.documents = pl.concat(frames, how="vertical")
        result.issues = issues
        return result


__all__ = ["ImsJsonImporter", "SECTIONS", "looks_like_ims", "section_frame"]
