"""GSTR-2A JSON: what the suppliers reported against the recipient, grouped by supplier.

The portal's offline download ``{"gstin", "fp", "b2b": [{ctin, cfs, cfs3b, fldtr1, flprdr1, inv:
[{inum, idt, val, pos, rchrg, inv_typ, itms: [{num, itm_det: {rt, txval, iamt, camt, samt,
csamt}}]}]}], "cdn": [{ctin, cfs, nt: [{ntty, nt_num, nt_dt, …}]}], "b2ba" (oinum, oidt), "cdna"
(ont_num, ont_dt), "impg" / "impgsez" ({refdt, portcd, benum, bedt, txval, iamt, csamt, amd};
impgsez adds sgstin, tdname), "isd", "tds", "tcs"}``, or the API's ``{"status_cd": "1", "data":
{…}}`` (any envelope, any depth). Amounts are summed over ``itms``; notes are credit or debit notes
by ``ntty``; the supplier's filing status ``cfs`` becomes ``srcfilstatus`` and its period
``flprdr1`` the document's tax period (``fp``, the download's period, stands in where it is
missing). ISD, TDS and TCS credits never pass through IMS: they are counted and reported as not
matched. Matched like GSTR-2B: its documents go on the IMS side of a reconcile.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import polars as pl

from imsrecon.importers import grouped_json as g
from imsrecon.importers.base import ImportOptions, ImportResult, load_json
from imsrecon.importers.json_envelope import META_KEYS, find_body
from imsrecon.issues import InputFileError, RowIssue, Severity
from imsrecon.model import Side, SourceKind
from imsrecon.normalise.flags import NO, YES, flag_expr
from imsrecon.sections import GSTR1_ONLY_KEYS, GSTR2A_KEYS, GSTR2A_NOT_MATCHED, SECTIONS, Section, gstr2b_key

# Bytes that say "GSTR-2A" in a file's first KiB: the supplier-level facts, the items, the note
# type, grouped documents; or the return period `fp` in a file that has no flat IMS record (`stin`).
_MARKERS = re.compile(rb'"(itms|itm_det|cfs|cfs3b|flprdr1|fldtr1|ntty|dtcancel)"\s*:|"(inv|nt)"\s*:\s*\[')
_PERIOD = re.compile(rb'"fp"\s*:')
# the supplier's filing status cfs (Y/N) as srcfilstatus
_FILING_STATUS = {YES: "Filed", NO: "Not Filed"}
# model field -> record fields (canonical spellings), first present wins; the number and dates
# come from the section's own fields (a note's `inum` is the invoice it adjusts, not the note)
_FIELDS: dict[str, tuple[str, ...]] = {
    "supplier_gstin": ("stin", "sgstin"),
    "supplier_name": ("trdnm", "tdname", "lglnm"),
    "doc_value": ("val",),
    "place_of_supply": ("pos",),
    "reverse_charge": ("rev",),
    "inv_typ": ("inv_typ",),
    **{model: (field,) for model, field in g.HEADS.items()},
    "cfs": ("cfs",),
    "flprdr1": ("flprdr1", "rtnprd"),
}
_NOTE_TYPE = ("ntty", "typ", "nt_ty")
_NOTE_KEYS = ("cdn", "cdna", "cdnr", "cdnra")
_ITEMS = ("itms", "items")  # a document's items (each with its amounts under itm_det)


def looks_like_gstr2a(head: bytes) -> bool:
    """True when a file's first bytes read as GSTR-2A (or GSTR-1, which shares its shape and is
    refused by name when read)."""
    if b'"docdata"' in head:
        return False
    return _MARKERS.search(head) is not None or (_PERIOD.search(head) is not None and b'"stin"' not in head)


def _is_body(node: dict[str, Any]) -> bool:
    return "fp" in node or any(
        isinstance(v, list) and (gstr2b_key(k) in GSTR2A_KEYS or gstr2b_key(k) in GSTR2A_NOT_MATCHED)
        for k, v in node.items()
    )


def _spec(key: str, section: Section) -> g.Spec:
    """How a section's documents are read: its own number and date fields, amounts from items."""
    own = {"doc_no": (section.number_field,), "doc_date": (section.date_field,)}
    if section.orig_number_field:
        own |= {"orig_doc_no": (section.orig_number_field,), "orig_doc_date": (section.orig_date_field or "",)}
    note_type = _NOTE_TYPE if key in _NOTE_KEYS else ()
    return g.Spec({**own, **_FIELDS}, note_type=note_type, items=_ITEMS, item_detail="itm_det")


def section_frame(key: str, flat: g.Flat, sheet: str, file: str, keep_text: bool = True,
                  ) -> tuple[pl.DataFrame | None, dict[str, str], list[RowIssue]]:
    """Raw frame (model fields, plus cfs and flprdr1 as given) for one section's documents; the
    display names; record-level issues."""
    base = SECTIONS[GSTR2A_KEYS[key]]
    return g.read_section(flat, base, _spec(key, base), file, sheet, keep_text)


def _facts(frame: pl.DataFrame, file: str, display: dict[str, str]) -> tuple[pl.DataFrame, list[RowIssue]]:
    """The supplier's filing status and period as IMS spells them, with warnings where unreadable."""
    status = flag_expr(pl.col("cfs")).replace_strict(_FILING_STATUS, default=None, return_dtype=pl.String)
    frame = frame.with_columns(g.mapped(frame["flprdr1"], g.period, pl.String).alias("rtnprd"),
                               status.alias("srcfilstatus"))
    issues = g.period_issues(frame, "flprdr1", "rtnprd", file, display["flprdr1"])
    bad = frame.filter(pl.col("cfs").is_not_null() & (pl.col("cfs").str.strip_chars() != "")
                       & pl.col("srcfilstatus").is_null())
    issues += [RowIssue(Severity.WARNING, file, r, display["cfs"], v, "not Y/N (filed or not): left blank", s,
                        code="cfs") for r, s, v in bad.select("src_row", "src_sheet", "cfs").iter_rows()]
    return frame.drop("cfs", "flprdr1"), issues


class Gstr2aJsonImporter:
    kind = SourceKind.GSTR2A_JSON
    side = Side.GSTR2A

    def identify(self, path: Path, head: bytes) -> bool:
        return path.suffix.lower() == ".json" and looks_like_gstr2a(head)

    def read(self, path: Path, options: ImportOptions) -> ImportResult:
        doc = load_json(path, options)
        found = find_body(doc, _is_body)
        if found is None:
            raise InputFileError(path.name, "not a GSTR-2A download: no GSTR-2A sections (b2b, b2ba, cdn, cdna, "
                                            "impg, …) in this JSON")
        body = found.body
        gstr1 = sorted(k for k in body if k in GSTR1_ONLY_KEYS)
        if gstr1:
            raise InputFileError(path.name, (
                f"this looks like a GSTR-1 return (your own outward supplies: {', '.join(gstr1[:3])}), "
                "not a GSTR-2A download"))
        recipient = str(found.meta(("gstin", "rtin")) or options.recipient_gstin or "").strip().upper() or None
        raw_period = found.meta(("fp", "ret_period", "rtnprd"))
        period = g.period(raw_period)
        result = ImportResult(path.name, self.kind, self.side, recipient_gstin=recipient)
        if raw_period is not None and period is None:
            result.issues.append(RowIssue(Severity.WARNING, path.name, None, "fp", g.text(raw_period),
                                          "not a return period (MMYYYY): left blank", code="period"))
        if period:
            result.notes.append(f"GSTR-2A of return period {period}")
        slots: list[list[RowIssue]] = []  # each section's issues, in file order
        parts: list[g.Part] = []
        for key, entries in body.items():
            part = self._read_section(path.name, key, entries, result, slots, options.keep_portal_record)
            if part is not None:
                parts.append(part)
                slots.append(part.issues)
        file_level: list[RowIssue] = []
        if parts:
            docs, file_level = g.assemble_parts(parts, path.name, Side.GSTR2A, self.kind.value, recipient)
            if period:  # the download's period stands in for a supplier period the file does not give
                docs = docs.with_columns(
                    pl.when(pl.col("rtnprd").is_null()).then(pl.lit(period)).otherwise(pl.col("tax_period"))
                    .alias("tax_period"))
            result.documents = docs
        result.issues += [i for slot in slots for i in slot] + file_level
        if result.rows_read == 0:
            result.notes.append("no documents in this GSTR-2A")
        return result

    def _read_section(self, file: str, key: str, entries: Any, result: ImportResult, slots: list[list[RowIssue]],
                      keep_text: bool) -> g.Part | None:
        """The section's part (None when nothing in it is read; its warnings then go to ``slots``)."""
        folded = gstr2b_key(key)
        if folded not in GSTR2A_KEYS:
            n = g.count(entries)
            result.rows_read += n
            if folded in GSTR2A_NOT_MATCHED:
                if n:
                    slots.append([g.not_matched(file, key, GSTR2A_NOT_MATCHED[folded], n, key)])
            elif n or (key not in META_KEYS and isinstance(entries, list)):
                slots.append([RowIssue(
                    Severity.WARNING, file, None, None, None,
                    f"section '{key}' is not a GSTR-2A section imsrecon reads: its {n} records were not imported",
                    sheet=key, code="unknown_section")])
            return None
        if not isinstance(entries, list):
            if entries not in (None, "", {}):
                slots.append([RowIssue(Severity.WARNING, file, None, None, None,
                                       f"section '{key}' is not a list: not imported", sheet=key,
                                       code="unknown_section")])
            return None
        result.rows_read += g.count(entries)
        frame, display, issues = section_frame(folded, g.flatten(entries, file, key), key, file, keep_text)
        if frame is None:
            slots.append(issues)
            return None
        frame, fact_issues = _facts(frame, file, display)
        return g.Part(frame, display, issues + fact_issues)


__all__ = ["Gstr2aJsonImporter", "looks_like_gstr2a", "section_frame"]
