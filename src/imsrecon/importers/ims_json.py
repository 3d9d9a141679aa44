"""IMS JSON: the portal/API `data` envelope and the offline tool's `imsDetails` envelope."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import polars as pl

from imsrecon.importers.assemble import AMOUNT_FIELDS, RawFrame, assemble
from imsrecon.importers.base import ImportOptions, ImportResult, check_json_size, load_json, parsed_if_whole
from imsrecon.importers.gstr2a_json import looks_like_gstr2a
from imsrecon.importers.json_envelope import empty_download, find_body
from imsrecon.importers.json_fast import read_records, record_count, split_arrays
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
_RECIPIENT_KEYS = ("rtin", "gstin", "ctin_recipient")
_OFFLINE_ENVELOPES = ("imsDetails", "ims_details")


def _is_ims_body(node: dict[str, Any]) -> bool:
    return any(section_for_key(k) is not None for k in node)


def _unwrap(doc: Any) -> tuple[dict[str, Any], str | None, bool, tuple[str, ...]]:
    """(sections dict, recipient GSTIN if the file names one, offline-tool envelope?, the
    sections dict's path of keys). The sections sit at any depth of any envelope; a download
    without documents (``{"data": {}}``) has an empty sections dict."""
    if not isinstance(doc, dict):
        raise InputFileError("", "the JSON is not an object")
    found = find_body(doc, _is_ims_body) or empty_download(doc, lambda k: section_for_key(k) is not None)
    if found is None:
        raise InputFileError("", "no IMS sections (b2b, b2ba, b2bcn, \u2026) in this JSON")
    recipient = found.meta(_RECIPIENT_KEYS)
    offline = any(k in _OFFLINE_ENVELOPES for k in found.path)
    return found.body, None if recipient is None else str(recipient), offline, found.path


def section_display(section: Section) -> dict[str, str]:
    """model field -> portal field name, for messages."""
    return {model: portal for portal, model in _section_fields(section).items()}


def _section_fields(section: Section) -> dict[str, str]:
    fields = {section.number_field: "doc_no", section.date_field: "doc_date", **PORTAL_TO_MODEL}
    if section.orig_number_field:
        fields[section.orig_number_field] = "orig_doc_no"
        fields[section.orig_date_field or ""] = "orig_doc_date"
    return fields


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer() and abs(value) < _EXACT:
        return str(int(value))
    return str(value)


_EXACT = 2.0**53  # whole numbers a float holds exactly (a larger one is shown as written by Polars)


_TEXT_FIELDS = ("doc_no", "orig_doc_no", "place_of_supply", "rtnprd", "supplier_gstin")


def _records_frame(records: list[dict[str, Any]]) -> pl.DataFrame:
    """The records' fields that imsrecon reads (any spelling) as columns (Polars infers types);
    records whose values do not share a type per field (a number here, text there), or that hold
    true/false (which Polars would take for 1/0 beside numbers), are read as text instead."""
    records = [{k: v for k, v in r.items() if k in _KNOWN} for r in records]
    if not any(isinstance(v, bool) for r in records for v in r.values()):
        try:
            return pl.from_dicts(records, infer_schema_length=None)
        except (pl.exceptions.PolarsError, TypeError, ValueError, OverflowError):
            pass
    return pl.from_dicts([{k: _text(v) for k, v in r.items()} for r in records], infer_schema_length=None)


def _as_text(col: pl.Series) -> pl.Series:
    """Numbers written as JSON numbers stay whole: 1234, not 1234.0."""
    if col.dtype.is_float():
        whole = col.is_null() | (col == col.round(0))
        if whole.all() and not (col.abs() >= _EXACT).any():
            return col.cast(pl.Int64).cast(pl.String)
    return col.cast(pl.String)


def section_frame(section: Section, records: list[dict[str, Any]], src_row: list[int] | None = None) -> pl.DataFrame:
    """Raw frame (model field names) for one section's records (parsed JSON objects); ``src_row``:
    each record's position in its section (default 1, 2, …)."""
    portal = pl.Series("portal_record", [orjson.dumps(r).decode() for r in records], dtype=pl.String)
    rows = None if src_row is None else pl.Series("src_row", src_row, dtype=pl.Int64)
    return section_frame_from(section, _records_frame(records), portal, rows)


def section_frame_from(
    section: Section, frame: pl.DataFrame, portal_record: pl.Series, src_row: pl.Series | None = None
) -> pl.DataFrame:
    """Raw frame (model field names) from the records' columns (portal spellings) and texts."""
    canonical: dict[str, pl.Series] = {}
    for name in frame.columns:  # any spelling of a field -> its canonical name
        key = FIELD_ALIASES.get(name, name)
        col = frame[name]
        if key in canonical and canonical[key].dtype != col.dtype:
            col, canonical[key] = col.cast(pl.String), canonical[key].cast(pl.String)
        canonical[key] = canonical[key].fill_null(col) if key in canonical else col
    n = portal_record.len()
    columns: dict[str, pl.Series] = {}
    for portal_name, model_name in _section_fields(section).items():
        col = canonical.get(portal_name)
        if col is None or col.dtype == pl.Null or col.dtype.is_nested() or col.null_count() == col.len():
            continue
        columns[model_name] = _as_text(col) if model_name in _TEXT_FIELDS or not col.dtype.is_numeric() else col
    if src_row is None:
        src_row = pl.int_range(1, n + 1, dtype=pl.Int64, eager=True)
    out = pl.DataFrame([src_row.alias("src_row"), *(s.alias(k) for k, s in columns.items())])
    return out.with_columns(
        *([] if "doc_no" in columns else [pl.lit(None, pl.String).alias("doc_no")]),  # none given: each row says so
        portal_record.alias("portal_record"),
        pl.lit(section.doc_class.value).alias("doc_class"),
        pl.lit(section.key).alias("ims_section"),
        pl.lit(section.is_amendment).alias("is_amendment"),
        pl.lit(section.key).alias("src_sheet"),
    )


# every spelling of every field a section may hold (the fast reader asks for these by name)
_ALL_FIELDS = sorted(
    {*PORTAL_TO_MODEL, *FIELD_ALIASES}
    | {f for s in SECTIONS.values() for f in (s.number_field, s.date_field, s.orig_number_field, s.orig_date_field) if f}
)
_KNOWN = frozenset(_ALL_FIELDS)


# the spellings of amount fields (read as numbers when the file writes them so)
_AMOUNT_FIELDS = frozenset(
    f for f in _ALL_FIELDS if PORTAL_TO_MODEL.get(FIELD_ALIASES.get(f, f)) in AMOUNT_FIELDS
)


def _fast_sections(data: bytes, keep_text: bool = True) -> tuple[dict[str, Any], str | None, bool, dict[str, pl.DataFrame | int]] | None:
    """Body, recipient, offline flag and key -> section frame (or record count for unknown
    sections) by the fast reader; None when the file needs the full parser (which also names
    each bad record, so anything the fast reader cannot read for sure goes there)."""
    split = split_arrays(data)
    del data  # the arrays are copies: the file's bytes can go (hundreds of MB at a million records)
    if split is None:
        return None
    skeleton, arrays = split
    try:
        body, recipient, offline, path = _unwrap(skeleton)
    except InputFileError:
        return None
    sections: dict[str, pl.DataFrame | int] = {}
    for key, value in body.items():
        if not isinstance(value, list):
            continue
        ndjson = arrays.pop((*path, key))  # each section's bytes go once it is read
        section = section_for_key(key)
        if section is None:
            sections[key] = record_count(ndjson)
            continue
        try:
            records = read_records(ndjson, _ALL_FIELDS, keep_text, _AMOUNT_FIELDS)
            if records is None:
                return None
            sections[key] = section_frame_from(section, records.drop("portal_record"), records["portal_record"])
        except (pl.exceptions.PolarsError, ValueError, TypeError, OverflowError):
            return None
    return body, recipient, offline, sections


def _unreadable(record: Any, fields: dict[str, str]) -> tuple[str | None, str, str] | None:
    """(column, value, reason) when a record cannot be read at all: not an object, or a field
    imsrecon reads holding a list or an object where one value belongs."""
    if not isinstance(record, dict):
        return None, repr(record)[:60], "record is not a JSON object"
    for k, v in record.items():
        if isinstance(v, (list, dict)) and FIELD_ALIASES.get(k, k) in fields:
            kind = "a list" if isinstance(v, list) else "an object"
            return k, orjson.dumps(v).decode()[:60], f"{kind} where one value belongs"
    return None


def _full_parse(
    path: Path, options: ImportOptions, issues: list[RowIssue], bad_records: dict[str, int]
) -> tuple[dict[str, Any], str | None, bool, dict[str, pl.DataFrame | int]]:
    """Every record parsed as a Python object: slower, but reads any JSON. Records that cannot be
    read become errors in ``issues`` and are counted in ``bad_records``."""
    doc = load_json(path, options, full_parse=True)
    try:
        body, recipient, offline, _ = _unwrap(doc)
    except InputFileError as exc:
        raise InputFileError(path.name, exc.reason) from None
    sections: dict[str, pl.DataFrame | int] = {}
    for key, records in body.items():
        section = section_for_key(key)
        if not isinstance(records, list):
            if section is not None and records not in (None, "", {}):
                issues.append(RowIssue(Severity.WARNING, path.name, None, None, None,
                                       f"section '{key}' is not a list of records: not imported",
                                       sheet=key, code="unknown_section"))
            continue
        if section is None:
            sections[key] = len(records)
            continue
        fields = _section_fields(section)
        good, rows = [], []
        for i, r in enumerate(records, 1):
            problem = _unreadable(r, fields)
            if problem is None:
                good.append(r)
                rows.append(i)
                continue
            column, value, reason = problem
            issues.append(RowIssue(Severity.ERROR, path.name, i, column, value, reason, sheet=key, code="record"))
        bad_records[key] = len(records) - len(good)
        sections[key] = section_frame(section, good, rows) if good else pl.DataFrame()
    return body, recipient, offline, sections


# section keys that say "IMS" in the first bytes of a file too large to parse just to identify it
_MARKERS = tuple(f'"{k}"'.encode() for k in ("b2b", "b2bcn", "b2bdn", "b2ba", "cn", "dn", "ecom", "imsDetails", "impg"))


class ImsJsonImporter:
    kind = SourceKind.IMS_JSON
    side = Side.IMS

    def identify(self, path: Path, head: bytes) -> bool:
        """By content: the IMS sections (flat records) in an envelope, or an envelope without
        documents (an empty month); never GSTR-2B (``docdata``) or GSTR-2A (supplier groups)."""
        if path.suffix.lower() != ".json" or b'"docdata"' in head or looks_like_gstr2a(head):
            return False
        doc = parsed_if_whole(path, head)
        if doc is not None:  # a small file: by its structure
            try:
                _unwrap(doc)
            except InputFileError:
                return False
            return True
        return any(m in head for m in _MARKERS)

    def read(self, path: Path, options: ImportOptions) -> ImportResult:
        check_json_size(path, options)
        fast = _fast_sections(path.read_bytes(), options.keep_portal_record)
        issues: list[RowIssue] = []
        bad_records: dict[str, int] = {}
        if fast is None:
            _, recipient, offline, sections = _full_parse(path, options, issues, bad_records)
        else:
            _, recipient, offline, sections = fast
        kind = SourceKind.IMS_OFFLINE_JSON if offline else SourceKind.IMS_JSON
        recipient = (recipient or options.recipient_gstin or "").strip().upper() or None
        result = ImportResult(path.name, kind, Side.IMS, recipient_gstin=recipient)
        frames, display = [], {}
        for key, value in sections.items():
            section = section_for_key(key)
            if section is None:
                if value:
                    issues.append(RowIssue(
                        Severity.WARNING, path.name, None, key, None,
                        f"section '{key}' is not an IMS section: its {value} records were not imported",
                        code="unknown_section",
                    ))
                    result.rows_read += int(value)  # type: ignore[arg-type]
                continue
            assert isinstance(value, pl.DataFrame)
            result.rows_read += value.height + bad_records.get(key, 0)
            if value.height:
                frames.append(value)
                display[section.key] = section_display(section)
        if frames:  # all sections in one pass (each keeps its own column names for messages)
            # as one chunk, with the sections' own frames let go: the first new column would
            # otherwise copy every column into one chunk while the sections' frames live on
            # (+330 MB at a million documents)
            frame = pl.concat(frames, how="diagonal_relaxed", rechunk=True)
            del frames, value
            sections.clear()
            raw = RawFrame(frame, path.name, Side.IMS, kind.value, recipient_gstin=recipient, display_by_sheet=display)
            del frame
            docs, found = assemble(raw)
            result.documents = docs
            issues += found
        if result.rows_read == 0:
            result.notes.append("no documents in this download (an empty month)")
        result.issues = issues
        return result


__all__ = ["ImsJsonImporter", "SECTIONS", "section_frame"]
