"""Use cases for decisions: apply them by matching key, by filter, from the recommendations or
from an edited Excel report, against a stored run.

Every proposed decision is checked first (:mod:`imsrecon.decisions`); when any is refused,
nothing is applied unless ``partial`` is set (then the valid ones are). A decision equal to the
latest one for its key (same action, remarks not given or the same) is not recorded again.
Each applied decision is one ``decisions`` row and one audit-log entry with the old and new
decision (:meth:`imsrecon.store.workspace.Workspace.record_decision`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from imsrecon.decisions import (
    DecisionProblem,
    Proposal,
    clean_remarks,
    is_unchanged,
    recommended,
    rows_by_key,
    validate,
)
from imsrecon.issues import InputFileError
from imsrecon.result import STATUS_ORDER
from imsrecon.sections import section_for_key
from imsrecon.store.workspace import NoRunError, Workspace

SOURCE_CLI, SOURCE_XLSX, SOURCE_SUGGESTED = "cli", "xlsx", "suggested"
SOURCE_SUGGESTED_AUTO = "suggested-auto"  # applied without asking: the user turned it on


class DecisionUsageError(ValueError):
    """The request itself is wrong (no action, keys with filters, an unknown status …)."""


@dataclass(frozen=True)
class Selection:
    """Which result rows: these matching keys, or the rows passing every given filter."""

    keys: tuple[str, ...] = ()
    status: str | None = None  # match_status
    supplier: str | None = None  # the IMS document's supplier GSTIN
    section: str | None = None  # ims_section, any spelling of the portal's

    @property
    def has_filter(self) -> bool:
        return any(v is not None for v in (self.status, self.supplier, self.section))

    def describe(self) -> str:
        parts = [f"{n}={v}" for n, v in (("status", self.status), ("supplier", self.supplier),
                                           ("section", self.section)) if v is not None]  # fmt: skip
        return " ".join(parts) or "all rows"


@dataclass
class DecisionOutcome:
    """What happened to a batch of proposed decisions."""

    run_id: int
    source: str
    decided_by: str
    partial: bool
    selected: int = 0  # proposals considered
    applied: int = 0  # recorded
    unchanged: int = 0  # equal to the latest decision: not recorded again
    refused: int = 0  # proposals with at least one problem
    held_back: int = 0  # valid, but not applied because others were refused (without partial)
    skipped: int = 0  # rows without a decision (empty cell) or without a recommendation
    problems: list[DecisionProblem] = field(default_factory=list)
    applied_keys: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        """Something was refused and nothing applied."""
        return self.refused > 0 and self.applied == 0

    def summary(self) -> dict[str, Any]:
        keys = ("run_id", "source", "decided_by", "partial", "selected", "applied", "unchanged", "refused",
                "held_back", "skipped")  # fmt: skip
        return {**{k: getattr(self, k) for k in keys}, "problems": [p.as_dict() for p in self.problems]}


def default_actor(by: str | None = None) -> str:
    """Who decides: ``by``, else $USER (or $USERNAME), else "unknown"."""
    return (by or "").strip() or os.environ.get("USER") or os.environ.get("USERNAME") or "unknown"


def _result(ws: Workspace, run_id: int | None) -> tuple[int, pl.DataFrame]:
    from imsrecon.workflow import stored_run

    run = stored_run(ws, run_id)
    if run is None:
        raise NoRunError("no reconciliation run in this workspace yet: run `imsrecon reconcile` first")
    run_id = int(run["id"])  # type: ignore[arg-type]
    return run_id, ws.load_result(run_id)


def select_rows(result: pl.DataFrame, selection: Selection) -> tuple[list[dict[str, Any]], list[str]]:
    """The selected result rows (in the order of the keys, else the result's) and the keys that
    no row has."""
    if selection.keys and selection.has_filter:
        raise DecisionUsageError("give matching keys or filters (--status, --supplier, --section), not both")
    if selection.keys:
        by_key = {r["matching_key"]: r for r in result.iter_rows(named=True)}
        keys = list(dict.fromkeys(selection.keys))
        return [by_key[k] for k in keys if k in by_key], [k for k in keys if k not in by_key]
    where = pl.lit(True)
    if selection.status is not None:
        if selection.status not in STATUS_ORDER:
            raise DecisionUsageError(f"status {selection.status!r} is not one of {', '.join(STATUS_ORDER)}")
        where &= pl.col("match_status") == selection.status
    if selection.supplier is not None:
        where &= pl.col("ims_supplier_gstin").str.to_uppercase() == selection.supplier.strip().upper()
    if selection.section is not None:
        section = section_for_key(selection.section)
        if section is None:
            raise DecisionUsageError(f"section {selection.section!r} is not an IMS section")
        where &= pl.col("ims_section") == section.key
    return result.filter(where).to_dicts(), []


def apply_proposals(
    ws: Workspace, run_id: int, result: pl.DataFrame, proposals: Sequence[Proposal], *, source: str,
    by: str | None = None, partial: bool = False, skipped: int = 0,
    problems: Sequence[DecisionProblem] = (),
) -> DecisionOutcome:
    """Check every proposal against the run's result, then record the valid ones that change
    something: all of them, or none when any was refused (``problems`` counts as refused too)
    unless ``partial``."""
    who = default_actor(by)
    checks = validate(proposals, rows_by_key(result))
    out = DecisionOutcome(run_id, source, who, partial, selected=len(proposals) + len(problems), skipped=skipped)
    out.problems = [*problems, *(p for found in checks for p in found)]
    out.refused = len(problems) + sum(1 for found in checks if found)
    latest = {r["matching_key"]: r for r in ws.latest_decisions().iter_rows(named=True)}
    todo: list[Proposal] = []
    for p, found in zip(proposals, checks, strict=True):
        if found:
            continue
        if is_unchanged(p, latest.get(p.key)):
            out.unchanged += 1
            continue
        todo.append(p)
        latest[p.key] = {"action": p.decision, "remarks": clean_remarks(p.remarks)}  # a repeat alike is a no-op
    if out.refused and not partial:
        out.held_back = len(todo)
        return out
    ws.record_decisions(  # one transaction: all of them, or none
        [(p.key, p.decision or "", clean_remarks(p.remarks), p.note or f"imsrecon decide ({source})") for p in todo],
        who, source, run_id,
    )
    out.applied = len(todo)
    out.applied_keys = [p.key for p in todo]
    return out


def _unknown(keys: Sequence[str]) -> list[DecisionProblem]:
    return [DecisionProblem(None, None, k, "unknown_key", "no document with this matching key in the run") for k in keys]


def decide(
    ws: Workspace, selection: Selection, action: str, remarks: str | None = None, *, by: str | None = None,
    run_id: int | None = None, partial: bool = False,
) -> DecisionOutcome:
    """Decide ``action`` (with ``remarks``, if given) for the selected rows: by matching keys, or
    by filter (at least one filter: a decision for every row must be asked for explicitly)."""
    if not selection.keys and not selection.has_filter:
        raise DecisionUsageError("say which documents: matching keys, or --status, --supplier or --section")
    run_id, result = _result(ws, run_id)
    rows, unknown = select_rows(result, selection)
    note = "by key" if selection.keys else f"by filter {selection.describe()}"
    proposals = [Proposal(r["matching_key"], action, remarks, note=f"imsrecon decide {note}") for r in rows]
    # an unknown key is checked like any other, so its action is checked too
    proposals += [Proposal(k, action, remarks, note=f"imsrecon decide {note}") for k in unknown]
    return apply_proposals(ws, run_id, result, proposals, source=SOURCE_CLI, by=by, partial=partial)


def decide_recommended(
    ws: Workspace, selection: Selection | None = None, *, by: str | None = None, run_id: int | None = None,
    partial: bool = False,
) -> DecisionOutcome:
    """Make each selected row's recommended action its decision, where it is not empty (every
    row of the run when nothing is selected)."""
    run_id, result = _result(ws, run_id)
    rows, unknown = select_rows(result, selection or Selection())
    proposals = recommended(rows)
    return apply_proposals(ws, run_id, result, proposals, source=SOURCE_CLI, by=by, partial=partial,
                           skipped=len(rows) - len(proposals), problems=_unknown(unknown))  # fmt: skip


# --- the Excel round trip ---------------------------------------------------------------------

_HEADER_ROWS = 10  # the header is looked for in the first rows of a sheet


def _category_sheet(name: str) -> bool:
    from imsrecon.exporters.excel import SHEET_NAMES

    bases = "|".join(re.escape(n) for n in SHEET_NAMES.values())
    return re.fullmatch(rf"(?:{bases})(?: \(\d+\))?", name) is not None


def _cell(row: list[Any], col: int | None) -> str:
    """A cell as text, with the report's formula neutralisation undone."""
    from imsrecon.exporters.sanitize import unneutralise
    from imsrecon.importers.tabular import cell_text

    value = row[col] if col is not None and col < len(row) else None
    if isinstance(value, str):
        return unneutralise(value).strip()
    return cell_text(value) or ""


def _header(rows: list[list[Any]]) -> tuple[int, dict[str, int]] | None:
    for i, row in enumerate(rows[:_HEADER_ROWS]):
        names = {str(c).strip().lower(): j for j, c in enumerate(row) if isinstance(c, str) and c.strip()}
        if "matching_key" in names and "decision" in names:
            return i, names
    return None


def read_decisions_xlsx(path: Path) -> tuple[list[Proposal], int]:
    """The decisions in a report workbook: every category sheet's rows with a decision (columns
    matching_key, decision, remarks found by name in the header row), each with its sheet and
    the row number Excel shows; and how many rows had a key but no decision."""
    from python_calamine import CalamineWorkbook

    path = Path(path)
    try:
        wb = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for corrupt files
        raise InputFileError(path.name, f"cannot read as a workbook: {exc}") from None
    sheets = [n for n in wb.sheet_names if _category_sheet(n)]
    if not sheets:
        raise InputFileError(path.name, "no category sheet (Exact, Probable, Mismatch, …): "
                             "not a report written by `imsrecon report --out FILE.xlsx`")  # fmt: skip
    proposals: list[Proposal] = []
    blank = 0
    for name in sheets:
        try:
            rows = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
        except Exception as exc:
            raise InputFileError(path.name, f"sheet '{name}' cannot be read: {exc}") from None
        found = _header(rows)
        if found is None:
            raise InputFileError(path.name, f"sheet '{name}' has no header row with 'matching_key' and "
                                 "'decision' columns: write the report again with `imsrecon report`")  # fmt: skip
        at, cols = found
        for i in range(at + 1, len(rows)):
            key, decision = _cell(rows[i], cols["matching_key"]), _cell(rows[i], cols["decision"])
            if not decision:
                blank += bool(key)
                continue
            remarks = _cell(rows[i], cols.get("remarks"))  # blank: no remarks
            note = f"{path.name} [{name}] row {i + 1}"
            proposals.append(Proposal(key, decision, remarks, sheet=name, row=i + 1, note=note))
    return proposals, blank


def decide_from_xlsx(
    ws: Workspace, path: Path, *, by: str | None = None, run_id: int | None = None, partial: bool = False
) -> DecisionOutcome:
    """Apply the decisions of an edited report workbook (rows with an empty decision are left
    out); refused rows name their sheet and row."""
    proposals, blank = read_decisions_xlsx(path)
    run_id, result = _result(ws, run_id)
    return apply_proposals(ws, run_id, result, proposals, source=SOURCE_XLSX, by=by, partial=partial,
                           skipped=blank)  # fmt: skip


# --- suggestions learned from earlier decisions ------------------------------------------------

def decision_history(ws: Workspace, current: tuple[int, pl.DataFrame]) -> pl.DataFrame:
    """Every key's latest decision with the result row it was made on (the decision's own run;
    the current run for decisions recorded without one)."""
    from imsrecon.result import RESULT_SCHEMA

    decisions = ws.latest_decisions().select("matching_key", "action", "decided_at", "run_id")
    cols = ["matching_key", "match_status", "differences", "ims_supplier_gstin", "pr_supplier_gstin"]
    parts = []
    for (run_id,), part in decisions.group_by("run_id"):
        rows = current[1] if run_id is None or run_id == current[0] else ws.load_result(int(run_id))
        parts.append(part.join(rows.select(cols), on="matching_key", how="inner"))
    if not parts:
        return pl.DataFrame(schema={"matching_key": pl.String, "action": pl.String, "decided_at": pl.Datetime("us", "UTC"),
                                    **{c: RESULT_SCHEMA[c] for c in cols[1:]}})
    return pl.concat(parts, how="vertical_relaxed")


def suggested_rows(ws: Workspace, run_id: int, result: pl.DataFrame, selection: Selection | None = None) -> pl.DataFrame:
    """The rows of run ``run_id`` (its ``result``) with a suggested decision: documents without a
    decision whose supplier, match status and differences you decided the same way at least
    twice before (all rows, or the ``selection``)."""
    from imsrecon.recommend import suggest_from_decisions

    chosen = result
    if selection is not None and (selection.keys or selection.has_filter):
        rows, _unknown_keys = select_rows(result, selection)
        chosen = result.filter(pl.col("matching_key").is_in([r["matching_key"] for r in rows]))
    found = suggest_from_decisions(chosen, decision_history(ws, (run_id, result)))
    return found.filter(pl.col("suggested_action").is_not_null()).select(
        "matching_key", "match_status", "ims_doc_no", "ims_supplier_gstin", "differences", "suggested_action",
        "suggestion_reason",
    )


def suggestions(ws: Workspace, selection: Selection | None = None, run_id: int | None = None) -> tuple[int, pl.DataFrame]:
    """(run id, :func:`suggested_rows` of that run; the latest if None)."""
    run_id, result = _result(ws, run_id)
    return run_id, suggested_rows(ws, run_id, result, selection)


def apply_suggestions(
    ws: Workspace, run_id: int, result: pl.DataFrame, selection: Selection | None = None, *, by: str | None = None,
    partial: bool = False, automatic: bool = False,
) -> DecisionOutcome:
    """Make each suggestion the document's decision, checked like any other decision. The caller
    has the user's confirmation (``decide --suggested --yes``) or the user turned automatic
    application on (``automatic``: source ``suggested-auto``, said in each decision's note)."""
    found = suggested_rows(ws, run_id, result, selection)
    why = "; applied automatically ([decisions] apply_suggestions = true)" if automatic else ""
    proposals = [Proposal(r["matching_key"], r["suggested_action"], None, note=r["suggestion_reason"] + why)
                 for r in found.iter_rows(named=True)]
    source = SOURCE_SUGGESTED_AUTO if automatic else SOURCE_SUGGESTED
    return apply_proposals(ws, run_id, result, proposals, source=source, by=by, partial=partial)


def decide_suggested(
    ws: Workspace, selection: Selection | None = None, *, by: str | None = None, run_id: int | None = None,
    partial: bool = False,
) -> DecisionOutcome:
    """Apply the suggestions of run ``run_id`` (the latest if None) after the user confirmed."""
    run_id, result = _result(ws, run_id)
    return apply_suggestions(ws, run_id, result, selection, by=by, partial=partial)


def report_annotations(ws: Workspace, run_id: int | None, result: pl.DataFrame) -> pl.DataFrame:
    """What a report workbook shows beside each row: the latest decision and remarks
    (matching_key, action, remarks) and, for rows without a decision, the suggestion learned
    from earlier decisions (suggested_action, suggestion_reason)."""
    decided = ws.latest_decisions().select(
        pl.col("matching_key").cast(pl.String), pl.col("action").cast(pl.String), pl.col("remarks").cast(pl.String))
    if run_id is None or decided.height == 0:  # nothing decided yet: nothing learned either
        return decided.with_columns(pl.lit(None, pl.String).alias(c) for c in ("suggested_action", "suggestion_reason"))
    found = suggested_rows(ws, run_id, result).select("matching_key", "suggested_action", "suggestion_reason")
    return decided.join(found, on="matching_key", how="full", coalesce=True)
