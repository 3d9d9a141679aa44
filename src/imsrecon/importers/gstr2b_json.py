"""GSTR-2B JSON: the documents of one 2B period, grouped by supplier (domain doc §6).

``{"data": {"gstin", "rtnprd", "docdata": {"b2b": [{ctin, trdnm, supfildt, supprd, inv: [...]}],
"cdnr": [{ctin, nt: [...]}], "impg": [...], ...}, "docRejdata": {...}}}``, inside any envelope at
any depth (``{chksum, data: {data: {docdata}}}``, ``{code, data: {data: {data: …}}}``), or the
GSP-flattened form where ``docdata`` is a list of documents, each naming its section in
``invoice_type`` (``B2B``, ``CDNR``, ``IMPG-SEZ`` … any case, with ``-`` or ``_``). Every document
becomes a row of the IMS-equivalent section (credit and debit notes split by the note's ``typ``);
documents under ``docRejdata`` are flagged ``rejected_in_2b``. GSTR-2B's own facts go into the
document: ``itcavl`` (Y/N/T), ``rsn``, ``diffprcnt`` (as a percentage), the 2B period; the
supplier's period ``supprd`` is the document's tax period.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from imsrecon.importers import grouped_json as g
from imsrecon.importers.base import ImportOptions, ImportResult, load_json
from imsrecon.importers.json_envelope import find_body
from imsrecon.issues import InputFileError, RowIssue, Severity
from imsrecon.model import Side, SourceKind
from imsrecon.normalise.amounts import applicable_pct_expr
from imsrecon.normalise.flags import itc_availability_expr
from imsrecon.normalise.scalar import apply_scalar
from imsrecon.sections import GSTR2B_KEYS, GSTR2B_NOT_MATCHED, SECTIONS, gstr2b_key

REJECTED_FLAG = "rejected_in_2b"
_CONTAINERS = ("docdata", "docRejdata")
# the field of a flattened document that names its section (GSP spellings)
_SECTION_FIELDS = ("invoice_type", "invoiceType", "invtype", "section")
# model field -> record fields (canonical spellings, sections.FIELD_ALIASES applied), first present wins
_FIELDS: dict[str, tuple[str, ...]] = {
    "supplier_gstin": ("stin",),
    "supplier_name": ("trdnm",),
    "doc_no": ("inum", "nt_num", "boenum"),
    "doc_date": ("dt", "idt", "nt_dt", "boedt"),
    "orig_doc_no": ("oinum", "ont_num", "oboenum"),
    "orig_doc_date": ("oidt", "ont_dt", "oboedt"),
    "doc_value": ("val",),
    "place_of_supply": ("pos",),
    "reverse_charge": ("rev",),
    **{model: (field,) for model, field in g.HEADS.items()},
    "supprd": ("supprd",),  # the supplier's period (rtnprd once read as MMYYYY)
    "itc_availability": ("itcavl",),
    "itc_reason": ("rsn",),
    "applicable_pct": ("diffprcnt",),
}
_NOTE_KEYS = ("cdnr", "cdnra")


def _spec(key: str) -> g.Spec:
    """How a section's documents are read: a note's `typ` is its note type (C/D) and its
    `suptyp` the supply type; an invoice's `typ` is its invoice type."""
    if key in _NOTE_KEYS:
        return g.Spec({**_FIELDS, "inv_typ": ("suptyp", "inv_typ")}, note_type=("typ",), items=("items",))
    return g.Spec({**_FIELDS, "inv_typ": ("typ", "inv_typ")}, items=("items",))


def applicable_pct(value: Any) -> float | None:
    """``diffprcnt`` as a percentage of the tax rate (normalise.amounts.applicable_pct_expr: 1 and
    0.65 are 100 and 65, "65%" is 65); None when blank, not a number or out of range."""
    if value is None or isinstance(value, (bool, list, dict)):
        return None
    return apply_scalar(applicable_pct_expr, value, pl.Float64)


def _is_body(node: dict[str, Any]) -> bool:
    return "docdata" in node


def _flattened(items: list[Any], file: str, sheet: str) -> tuple[dict[str, g.Flat], list[RowIssue]]:
    """A GSP's flat list of documents, grouped by the section each names (rows: list positions)."""
    sections: dict[str, g.Flat] = {}
    issues = []
    for n, item in enumerate(items, 1):
        if type(item) is not dict:
            issues.append(RowIssue(Severity.ERROR, file, n, None, repr(item)[:60], "document is not a JSON object",
                                   sheet, code="record"))
            continue
        name = next((item[k] for k in _SECTION_FIELDS if isinstance(item.get(k), str)), None)
        if name is None:
            issues.append(RowIssue(Severity.ERROR, file, n, "invoice_type", None, "document names no section "
                                   "(invoice_type B2B, B2BA, CDNR, CDNRA, ECOM, ECOMA, IMPG, IMPGSEZ, ISD)", sheet,
                                   code="record"))
            continue
        flat = sections.setdefault(gstr2b_key(name), g.Flat())
        flat.docs.append(item)
        flat.rows.append(n)
        flat.owner.append(-1)
    return sections, issues


_NOUNS = {list: "list", dict: "object", str: "text", bool: "true/false"}


def _shape(value: Any) -> str:
    """What a JSON value is, in words: "a text", "a list of numbers"."""
    if isinstance(value, list):
        return f"a list of {_NOUNS.get(type(value[0]), 'number')}s" if value else "an empty list"
    noun = _NOUNS.get(type(value), "number")
    return f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"


def _containers(body: dict[str, Any], file: str) -> tuple[list[tuple[str, str, Any, bool]], list[RowIssue]]:
    """(section key, sheet, entries or flattened documents, rejected?) of docdata and docRejdata
    in either shape, and the errors of flattened documents that name no section."""
    out: list[tuple[str, str, Any, bool]] = []
    issues: list[RowIssue] = []
    for container in _CONTAINERS:
        sections = body.get(container)
        if sections is None:
            continue
        rejected = container != "docdata"
        if isinstance(sections, dict):
            for key, entries in sections.items():
                sheet = key if not rejected else f"{container}.{key}"
                out.append((gstr2b_key(key), sheet, entries, rejected))
        elif isinstance(sections, list) and all(isinstance(i, dict) for i in sections[:1]):
            grouped, found = _flattened(sections, file, container)
            issues += found
            out += [(key, container, docs, rejected) for key, docs in grouped.items()]
        else:
            raise InputFileError(file, (
                f"'{container}' is {_shape(sections)}: imsrecon reads GSTR-2B's '{container}' as an object of "
                "sections (b2b, cdnr, …) or a list of documents each naming its invoice_type"
            ))
    return out, issues


def section_frame(key: str, flat: g.Flat, sheet: str, file: str, rejected: bool, keep_text: bool = True,
                  ) -> tuple[pl.DataFrame | None, dict[str, str], list[RowIssue]]:
    """Raw frame (model fields) for one section's documents; display names; record-level issues."""
    frame, display, issues = g.read_section(flat, SECTIONS[GSTR2B_KEYS[key]], _spec(key), file, sheet, keep_text)
    if frame is not None:
        frame = frame.with_columns(pl.lit(REJECTED_FLAG if rejected else None, pl.String).alias("flags"))
    return frame, display, issues


def _facts(frame: pl.DataFrame, period: str | None, file: str, display: dict[str, str]) -> tuple[pl.DataFrame, list[RowIssue]]:
    """GSTR-2B's facts on each document read (periods, ITC availability, applicable %), and
    warnings on those that cannot be read (left blank: a fact, never a reason to drop a document)."""
    frame = frame.with_columns(
        g.mapped(frame["supprd"], g.period, pl.String).alias("rtnprd"),
        g.mapped(frame["applicable_pct"], applicable_pct, pl.Float64).alias("_pct"),
        itc_availability_expr(pl.col("itc_availability")).alias("_itc"),
        pl.col("itc_reason").str.strip_chars().replace("", None),
        pl.lit(period, pl.String).alias("gstr2b_period"),
    )
    issues = g.period_issues(frame, "supprd", "rtnprd", file, display["supprd"])
    for raw, parsed, reason in (("applicable_pct", "_pct", "not a percentage: left blank"),
                                ("itc_availability", "_itc", "not Y/N (or T, temporary): left blank")):
        bad = frame.filter(pl.col(raw).is_not_null() & (pl.col(raw).str.strip_chars() != "") & pl.col(parsed).is_null())
        issues += [RowIssue(Severity.WARNING, file, r, display[raw], v, reason, s, code=raw)
                   for r, s, v in bad.select("src_row", "src_sheet", raw).iter_rows()]
    frame = frame.drop("supprd", "applicable_pct", "itc_availability").rename(
        {"_pct": "applicable_pct", "_itc": "itc_availability"})
    return frame, issues


class Gstr2bJsonImporter:
    kind = SourceKind.GSTR2B_JSON
    side = Side.GSTR2B

    def identify(self, path: Path, head: bytes) -> bool:
        return path.suffix.lower() == ".json" and b'"docdata"' in head

    def read(self, path: Path, options: ImportOptions) -> ImportResult:
        doc = load_json(path, options)
        found = find_body(doc, _is_body)
        if found is None:
            raise InputFileError(path.name, "not a GSTR-2B download: no 'docdata' in this JSON")
        recipient = str(found.meta(("gstin", "rtin")) or options.recipient_gstin or "").strip().upper() or None
        raw_period = found.meta(("rtnprd", "ret_period"))
        period = g.period(raw_period)
        result = ImportResult(path.name, self.kind, self.side, recipient_gstin=recipient)
        if raw_period is not None and period is None:
            result.issues.append(RowIssue(Severity.WARNING, path.name, None, "rtnprd", g.text(raw_period),
                                          "not a return period (MMYYYY): the 2B period is left blank", code="period"))
        containers, unnamed = _containers(found.body, path.name)
        result.rows_read += len(unnamed)
        slots: list[list[RowIssue]] = [unnamed]  # each section's issues, in file order
        parts: list[g.Part] = []
        for key, sheet, entries, rejected in containers:
            part = self._read_section(path.name, key, entries, sheet, rejected, period, result, slots,
                                      options.keep_portal_record)
            if part is not None:
                parts.append(part)
                slots.append(part.issues)
        file_level: list[RowIssue] = []
        if parts:
            docs, file_level = g.assemble_parts(parts, path.name, Side.GSTR2B, self.kind.value, recipient)
            # the supplier's period where the file gives it, else the 2B period stands in
            result.documents = docs.with_columns(
                pl.when(pl.col("rtnprd").is_null() & pl.col("gstr2b_period").is_not_null())
                .then(pl.col("gstr2b_period")).otherwise(pl.col("tax_period")).alias("tax_period"))
        result.issues += [i for slot in slots for i in slot] + file_level
        if result.rows_read == 0:
            result.notes.append("no documents in this GSTR-2B")
        return result

    def _read_section(self, file: str, key: str, entries: Any, sheet: str, rejected: bool, period: str | None,
                      result: ImportResult, slots: list[list[RowIssue]], keep_text: bool) -> g.Part | None:
        """The section's part (None when nothing in it is read; its warnings then go to ``slots``)."""
        flat = entries if isinstance(entries, g.Flat) else None
        n = len(flat.docs) if flat is not None else g.count(entries)
        result.rows_read += n
        if key not in GSTR2B_KEYS:
            if key in GSTR2B_NOT_MATCHED and n:
                slots.append([g.not_matched(file, key, GSTR2B_NOT_MATCHED[key], n, sheet)])
            elif n:
                slots.append([RowIssue(
                    Severity.WARNING, file, None, None, None,
                    f"section '{key}' is not an IMS-equivalent section: its {n} records were not imported",
                    sheet=sheet, code="unknown_section")])
            return None
        if flat is None and not isinstance(entries, list):
            if entries not in (None, "", {}):
                slots.append([RowIssue(Severity.WARNING, file, None, None, None,
                                       f"section '{key}' is not a list: not imported", sheet=sheet,
                                       code="unknown_section")])
            return None
        frame, display, issues = section_frame(key, flat or g.flatten(entries, file, sheet), sheet, file, rejected,
                                               keep_text)
        if frame is None:
            slots.append(issues)
            return None
        frame, fact_issues = _facts(frame, period, file, display)
        return g.Part(frame, display, issues + fact_issues)


__all__ = ["REJECTED_FLAG", "Gstr2bJsonImporter", "applicable_pct", "section_frame"]
