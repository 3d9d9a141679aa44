"""What GSTR-2B and GSTR-2A JSON share: documents grouped by supplier, read column-wise.

Both downloads list, per section, one entry per supplier (``ctin``, its name and filing facts)
holding that supplier's documents (``inv``, ``nt``, ``boe``, ``doclist``); import of goods lists
the documents themselves. Amounts sit on the document or are summed over its items. The
documents are handed to Polars as they were parsed (every field read as text, the spellings of
sections.FIELD_ALIASES folded into one column), so that the work per document stays in Polars;
only a section whose values Polars cannot take as text (a list or an object where one value
belongs, a number beyond 128 bits) is read value by value, and each such document becomes a row
issue. ``assemble`` then parses amounts and dates and names every unreadable cell.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from itertools import chain
from operator import methodcaller
from typing import Any

import orjson
import polars as pl

from imsrecon.importers.assemble import RawFrame, assemble
from imsrecon.importers.ims_excel import return_period
from imsrecon.issues import RowIssue, Severity
from imsrecon.model import Side
from imsrecon.normalise.amounts import amount_blank, parse_amount_series
from imsrecon.sections import FIELD_ALIASES, SECTIONS, Section

DOC_LISTS = ("inv", "nt", "boe", "doclist", "docs", "docList")  # a supplier entry's list of documents
# model amount head -> canonical record field
HEADS = {"taxable_value": "txval", "igst": "iamt", "cgst": "camt", "sgst": "samt", "cess": "cess"}
# note type (C/D, any case) -> (section, amendment section)
NOTE_SECTIONS = {"C": ("b2bcn", "b2bcna"), "D": ("b2bdn", "b2bdna")}
_EXACT = 2.0**53  # whole numbers a float holds exactly
_READ_ERRORS = (pl.exceptions.PolarsError, OverflowError, TypeError, ValueError)


@dataclass
class Flat:
    """A section's documents in file order: each document, its position (the row issues name),
    its supplier entry (an index into ``heads``, -1 for none) and the problems found so far."""

    docs: list[dict[str, Any]] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    owner: list[int] = field(default_factory=list)
    heads: list[dict[str, Any]] = field(default_factory=list)
    issues: list[RowIssue] = field(default_factory=list)


@dataclass(frozen=True)
class Spec:
    """How one section's documents are read."""

    # model field -> canonical record fields, first filled in wins
    fields: dict[str, tuple[str, ...]]
    note_type: tuple[str, ...] = ()  # the note-type fields of a notes section (C/D), first filled in wins
    items: tuple[str, ...] = ()  # the document's list of items
    item_detail: str | None = None  # an item's amounts sit under this key (GSTR-2A: itm_det)


def flatten(entries: list[Any], file: str, sheet: str) -> Flat:
    """The documents of a section's supplier entries (or of a flat list, import of goods)."""
    flat = Flat()
    n = 0
    for i, entry in enumerate(entries, 1):
        if type(entry) is not dict:
            flat.issues.append(RowIssue(Severity.ERROR, file, None, None, None,
                                        f"entry {i} is not a JSON object: {repr(entry)[:60]}", sheet, code="record"))
            continue
        child = next((entry[k] for k in DOC_LISTS if type(entry.get(k)) is list), None)
        if child is None:  # a flat document (impg)
            n += 1
            flat.docs.append(entry)
            flat.rows.append(n)
            flat.owner.append(-1)
            continue
        owner = len(flat.heads)
        flat.heads.append({k: v for k, v in entry.items() if not isinstance(v, (list, dict))})
        good = [d for d in child if type(d) is dict]
        if len(good) == len(child):
            flat.docs += good
            flat.rows += range(n + 1, n + len(child) + 1)
            flat.owner += [owner] * len(child)
        else:
            for k, d in enumerate(child, n + 1):
                if type(d) is dict:
                    flat.docs.append(d)
                    flat.rows.append(k)
                    flat.owner.append(owner)
                else:
                    flat.issues.append(RowIssue(Severity.ERROR, file, k, None, repr(d)[:60],
                                                "document is not a JSON object", sheet, code="record"))
        n += len(child)
    return flat


def count(entries: Any) -> int:
    """How many documents (and unreadable supplier entries) a section holds."""
    if not isinstance(entries, list):
        return 0
    return sum(
        len(next((e[k] for k in DOC_LISTS if isinstance(e.get(k), list)), [e])) if isinstance(e, dict) else 1
        for e in entries
    )


def text(value: Any) -> str | None:
    """One value as text, the way Polars writes it (a whole number without ``.0``)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < _EXACT:
        return str(int(value))
    if isinstance(value, (list, dict)):
        return orjson.dumps(value).decode()
    return str(value)


def _spellings(records: list[dict[str, Any]], wanted: set[str]) -> list[str]:
    """The keys of ``records`` that spell a wanted field (looked up once per distinct key)."""
    keys = set(chain.from_iterable(map(dict.keys, records)))
    return sorted(k for k in keys if FIELD_ALIASES.get(k, k) in wanted)


def _strings(records: list[dict[str, Any]], keys: list[str]) -> tuple[pl.DataFrame, dict[int, tuple[str, str, str]]]:
    """``keys`` of every record as text columns; and, where a record holds a list or an object
    under one of them, its index -> (key, value, reason) (that record's cells are left null)."""
    schema = {k: pl.String for k in keys}
    try:
        return pl.from_dicts(records, schema=schema), {}
    except _READ_ERRORS:
        pass
    bad: dict[int, tuple[str, str, str]] = {}
    columns: dict[str, list[str | None]] = {k: [] for k in keys}
    for i, r in enumerate(records):
        nested = next((k for k in keys if isinstance(r.get(k), (list, dict))), None)
        if nested is not None:
            v = r[nested]
            bad[i] = (nested, orjson.dumps(v).decode()[:60],
                      f"{'a list' if isinstance(v, list) else 'an object'} where one value belongs")
        for k in keys:
            columns[k].append(None if nested is not None else text(r.get(k)))
    return pl.DataFrame(columns, schema=schema), bad


def _canonical_columns(frame: pl.DataFrame) -> tuple[dict[str, pl.Expr], dict[str, str]]:
    """Canonical field -> its column (the spellings coalesced, the canonical one first), and the
    spelling the file used for each."""
    by: dict[str, list[str]] = {}
    for k in frame.columns:
        by.setdefault(FIELD_ALIASES.get(k, k), []).append(k)
    exprs = {c: pl.coalesce(sorted(ks, key=lambda k: k != c)) for c, ks in by.items()}
    return exprs, {c: sorted(ks, key=lambda k: k != c)[0] for c, ks in by.items()}


def _item_sums(docs: list[dict[str, Any]], spec: Spec) -> pl.DataFrame | None:
    """Per document with items: each head summed over its items (as text), or the first value
    that is not a number (for assemble to report)."""
    owner: list[int] = []
    items: list[Any] = []
    for key in spec.items:
        for i, value in enumerate(map(methodcaller("get", key), docs)):
            if type(value) is list and value:
                owner += [i] * len(value)
                items += value
    detail = spec.item_detail
    pairs = [(o, it.get(detail, it) if detail else it) for o, it in zip(owner, items, strict=True) if type(it) is dict]
    pairs = [(o, it) for o, it in pairs if type(it) is dict]
    if not pairs:
        return None
    records = [it for _, it in pairs]
    values, _ = _strings(records, _spellings(records, set(HEADS.values())))
    exprs, _ = _canonical_columns(values)
    heads = [m for m, f in HEADS.items() if f in exprs]
    frame = values.select(pl.Series("_doc", [o for o, _ in pairs], dtype=pl.Int64),
                          *(exprs[HEADS[m]].str.strip_chars().alias(f"_raw_{m}") for m in heads))
    frame = frame.with_columns(parse_amount_series(frame[f"_raw_{m}"]).alias(m) for m in heads)
    sums = frame.group_by("_doc").agg(
        pl.when(pl.col(m).is_not_null().any()).then(pl.col(m).sum().round(2).cast(pl.String)).alias(m) for m in heads)
    bad = pl.any_horizontal(pl.col(m).is_null() & ~amount_blank(pl.col(f"_raw_{m}")) for m in heads) if heads \
        else pl.lit(False)
    unreadable = frame.filter(bad)
    if unreadable.height:  # rare: the first value of each head that is not a number stands for the sum
        firsts = unreadable.group_by("_doc").agg(
            pl.col(f"_raw_{m}").filter(pl.col(m).is_null() & ~amount_blank(pl.col(f"_raw_{m}"))).first().alias(m)
            for m in heads)
        sums = sums.join(firsts, on="_doc", how="left", suffix="_bad").with_columns(
            pl.coalesce(f"{m}_bad", m).alias(m) for m in heads).select("_doc", *heads)
    return sums


def _heads_of(flat: Flat, wanted: set[str]) -> tuple[pl.DataFrame, dict[str, str]]:
    """The supplier entries' fields, one row per document (null for documents without one)."""
    values, _ = _strings(flat.heads, _spellings(flat.heads, wanted))
    exprs, seen = _canonical_columns(values)
    heads = values.select(exprs[c].alias(c) for c in exprs)
    owner = pl.Series(flat.owner, dtype=pl.Int64)
    gathered = heads.select(pl.all().gather(owner.clip(0)))
    if not (owner >= 0).all():
        gathered = gathered.with_columns(pl.when(pl.lit(owner >= 0)).then(pl.col(c)).alias(c) for c in heads.columns)
    return gathered, seen


def _with_item_sums(out: pl.DataFrame, flat: Flat, spec: Spec) -> pl.DataFrame:
    """Amounts summed over the items of documents that give no amount of their own."""
    sums = _item_sums(flat.docs, spec)
    if sums is None:
        return out
    joined = out.with_row_index("_doc").with_columns(pl.col("_doc").cast(pl.Int64)).join(
        sums, on="_doc", how="left", suffix="_items", maintain_order="left")
    no_heads = pl.all_horizontal(pl.col(m).is_null() for m in HEADS)
    return joined.with_columns(
        pl.when(no_heads).then(pl.col(f"{m}_items")).otherwise(pl.col(m)).alias(m)
        for m in HEADS if f"{m}_items" in joined.columns
    ).select(out.columns)


def read_section(flat: Flat, base: Section, spec: Spec, file: str, sheet: str, keep_text: bool = True,
                 ) -> tuple[pl.DataFrame | None, dict[str, str], list[RowIssue]]:
    """The raw frame (model fields as text, plus section, provenance and the record's text) of a
    section's documents; the column name the file used for each model field; the row issues.

    ``spec.fields`` must name every amount head (HEADS) when ``spec.items`` is given."""
    wanted = {f for fields in spec.fields.values() for f in fields} | set(spec.note_type)
    issues = list(flat.issues)
    n = len(flat.docs)
    if not n:
        return None, {}, issues
    values, bad = _strings(flat.docs, _spellings(flat.docs, wanted))
    exprs, seen = _canonical_columns(values)
    columns = pl.DataFrame({"_i": pl.int_range(n, eager=True)})
    if exprs:
        columns = pl.concat([columns, values.select(exprs[c].alias(c) for c in exprs)], how="horizontal")
    del values
    if flat.heads:  # the supplier's fields, where the document has none of its own
        heads, head_seen = _heads_of(flat, wanted)
        columns = columns.with_columns(
            (pl.coalesce(pl.col(c), heads[c]) if c in columns.columns else heads[c]).alias(c) for c in heads.columns)
        seen = {**head_seen, **seen}
    present = set(columns.columns)
    note = [f for f in spec.note_type if f in present]
    out = columns.select(
        *((pl.coalesce([pl.col(f) for f in fields if f in present]) if present.intersection(fields)
           else pl.lit(None, pl.String)).alias(m) for m, fields in spec.fields.items()),
        pl.Series("src_row", flat.rows, dtype=pl.Int64),
        pl.lit(sheet).alias("src_sheet"),
        (pl.coalesce(note) if note else pl.lit(None, pl.String)).alias("_note_type"),
    )
    if spec.items:
        out = _with_item_sums(out, flat, spec)
    if spec.note_type:
        folded = pl.col("_note_type").str.strip_chars().str.to_uppercase()
        section = folded.replace_strict({t: keys[base.is_amendment] for t, keys in NOTE_SECTIONS.items()},
                                        default=None, return_dtype=pl.String)
    else:
        section = pl.lit(base.key)
    out = out.with_columns(section.alias("ims_section"))
    readable = pl.Series([i not in bad for i in range(n)]) if bad else pl.Series([True] * n)
    issues += [RowIssue(Severity.ERROR, file, flat.rows[i], k, v, reason, sheet, code="record")
               for i, (k, v, reason) in sorted(bad.items())]
    if spec.note_type:
        unknown = out.filter(pl.col("ims_section").is_null() & readable)
        label = next((seen[f] for f in spec.note_type if f in seen), spec.note_type[0])
        issues += [RowIssue(Severity.ERROR, file, r, label, v, "note type must be C (credit note) or D (debit note)",
                            sheet, code="note_type") for r, v in unknown.select("src_row", "_note_type").iter_rows()]
    texts = _record_texts(flat) if keep_text else [None] * n
    out = out.drop("_note_type").with_columns(pl.Series("portal_record", texts, dtype=pl.String))
    out = out.filter(pl.col("ims_section").is_not_null() & readable)
    display = {m: next((seen[f] for f in fields if f in seen), fields[0]) for m, fields in spec.fields.items()}
    if out.height == 0:
        return None, display, issues
    info = pl.DataFrame({"ims_section": list(SECTIONS), "doc_class": [s.doc_class.value for s in SECTIONS.values()],
                         "is_amendment": [s.is_amendment for s in SECTIONS.values()]})
    return out.join(info, on="ims_section", how="left", maintain_order="left"), display, issues


def _record_texts(flat: Flat) -> list[str]:
    """Each document's record as downloaded, with its supplier entry's fields."""
    heads, dumps = flat.heads, orjson.dumps
    return [dumps({**heads[o], **d} if o >= 0 else d).decode() for d, o in zip(flat.docs, flat.owner, strict=True)]


def mapped(col: pl.Series, fn: Any, dtype: pl.DataType) -> pl.Series:
    """``fn`` applied once per distinct value of ``col`` (periods, percentages: few distinct values)."""
    distinct = col.unique()
    lookup = pl.DataFrame({"v": distinct, "p": [fn(v) for v in distinct]}, schema={"v": col.dtype, "p": dtype})
    return col.to_frame("v").join(lookup, on="v", how="left", nulls_equal=True, maintain_order="left")["p"]


def period(value: Any) -> str | None:
    """One return period as MMYYYY (``102025``, ``Nov-25``, ``Oct'25``, ``November 2025``), or None."""
    return None if value is None or isinstance(value, (bool, list, dict)) else return_period(text(value))


def period_issues(frame: pl.DataFrame, raw: str, parsed: str, file: str, label: str) -> list[RowIssue]:
    """Warnings where ``raw`` holds something that ``parsed`` could not read as a period."""
    if raw not in frame.columns:
        return []
    bad = frame.filter(pl.col(raw).is_not_null() & (pl.col(raw).str.strip_chars() != "") & pl.col(parsed).is_null())
    return [RowIssue(Severity.WARNING, file, r, label, v, "not a return period (MMYYYY): left blank", s, code="period")
            for r, s, v in bad.select("src_row", "src_sheet", raw).iter_rows()]


@dataclass
class Part:
    """One section's raw frame, display names and issues (merged with assemble's, by row)."""

    frame: pl.DataFrame
    display: dict[str, str]
    issues: list[RowIssue]


_TAG = "\x1f"  # between a part's number and its sheet while the parts are assembled together


def assemble_parts(parts: list[Part], file: str, side: Side, kind: str, recipient: str | None,
                   ) -> tuple[pl.DataFrame, list[RowIssue]]:
    """All sections of a file through one ``assemble`` (one pass, one date order for the file):
    the documents, and the file-level issues; each part's row issues go into its own list, in
    row order. Sections that share a sheet (a GSP's flat list) keep their own column names."""
    frames = [p.frame.with_columns((pl.lit(f"{n}{_TAG}") + pl.col("src_sheet")).alias("src_sheet"))
              for n, p in enumerate(parts)]
    display = {f"{n}{_TAG}{p.frame['src_sheet'][0]}": p.display for n, p in enumerate(parts)}
    raw = RawFrame(pl.concat(frames, how="diagonal_relaxed"), file, side, kind, recipient_gstin=recipient,
                   display_by_sheet=display)
    docs, found = assemble(raw)
    file_level = []
    for issue in found:
        if issue.sheet is None or _TAG not in issue.sheet:
            file_level.append(issue)
            continue
        n, sheet = issue.sheet.split(_TAG, 1)
        parts[int(n)].issues.append(replace(issue, sheet=sheet))
    for p in parts:
        p.issues.sort(key=lambda i: i.row or 0)
    return docs.with_columns(pl.col("src_sheet").str.replace(f"^[0-9]+{_TAG}", "")), file_level


def not_matched(file: str, key: str, what: str, n: int, sheet: str) -> RowIssue:
    """The warning for a section whose documents never pass through IMS (ISD, TDS, TCS)."""
    docs = "1 document was" if n == 1 else f"{n} documents were"
    return RowIssue(Severity.WARNING, file, None, None, None,
                    f"section '{key}' ({what}) is not matched: its {docs} not imported", sheet, code="not_matched")


__all__ = [
    "DOC_LISTS", "HEADS", "NOTE_SECTIONS", "Flat", "Part", "Spec", "assemble_parts", "count", "flatten", "mapped", "not_matched", "period",
    "period_issues", "read_section", "text",
]  # fmt: skip
