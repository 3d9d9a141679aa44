"""Use cases for decisions: apply them by matching key, by filter, from the recommendations or
from an edited Excel report, against a stored run.

Every proposed decision is checked first (:mod:`imsrecon.decisions`); when any is refused,
nothing is applied unless ``partial`` is set (then the valid ones are). A decision equal to the
latest one for its key (same action; remarks and ITC-reduction declaration not given or the same)
is not recorded again: that check is made inside the write transaction, so two bulk decisions
running at once record each decision once. Each applied decision is one ``decisions`` row and
one audit-log entry with the old and new decision
(:meth:`imsrecon.store.workspace.Workspace.record_new_decisions`); a batch is all or nothing.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from imsrecon.decisions import (
    ACCEPT,
    DecisionProblem,
    Proposal,
    clean_remarks,
    declaration,
    is_unchanged,
    recommended,
    rows_by_key,
    validate,
    with_full_declarations,
)
from imsrecon.decisions_xlsx import read_decisions_xlsx
from imsrecon.recommend import SPECIFIED_SECTIONS
from imsrecon.result import STATUS_ORDER
from imsrecon.sections import section_for_key
from imsrecon.store.decision_log import DecisionRow
from imsrecon.store.workspace import NoRunError, Workspace

__all__ = [
    "DecisionOutcome", "DecisionUsageError", "Selection", "apply_proposals", "apply_suggestions", "decide",
    "decide_from_xlsx", "decide_recommended", "decide_suggested", "read_decisions_xlsx", "report_annotations",
    "suggestions",
]  # fmt: skip

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
    undeclared: int = 0  # applied Accepts of credit notes without an ITC-reduction declaration

    @property
    def failed(self) -> bool:
        """Something was refused and nothing applied."""
        return self.refused > 0 and self.applied == 0

    def summary(self) -> dict[str, Any]:
        keys = ("run_id", "source", "decided_by", "partial", "selected", "applied", "unchanged", "refused",
                "held_back", "skipped", "undeclared")  # fmt: skip
        return {**{k: getattr(self, k) for k in keys}, "problems": [p.as_dict() for p in self.problems]}


def default_actor(by: str | None = None) -> str:
    """Who decides: ``by``, else $USER (or $USERNAME), else "unknown"."""
    return (by or "").strip() or os.environ.get("USER") or os.environ.get("USERNAME") or "unknown"


def _result(ws: Workspace, run_id: int | None, gstin: str | None = None) -> tuple[int, pl.DataFrame]:
    """The run a decision is checked against (``workflow.stored_run``: ``run_id``, else the latest
    run of the recipient ``gstin``) and its result."""
    from imsrecon.workflow import stored_run

    run = stored_run(ws, run_id, gstin)
    if run is None:
        raise NoRunError("no reconciliation run in this workspace yet: run `imsrecon reconcile` first")
    run_id = int(run["id"])  # type: ignore[arg-type]
    return run_id, ws.load_result(run_id)


def with_declaration_flags(ws: Workspace, run_id: int, result: pl.DataFrame) -> pl.DataFrame:
    """The run's result with each IMS document's ``is_itc_red_req_blocked`` (from its stored
    record), which an ITC-reduction declaration is checked against."""
    import json

    if "is_itc_red_req_blocked" in result.columns:
        return result
    run = ws.runs().filter(pl.col("id") == run_id)
    ids = json.loads(run["ims_import_ids"][0]) if run.height else []
    flags = ws.declaration_flags(ids).unique(["src_file", "ims_section", "src_row"], keep="first").rename(
        {"src_file": "ims_file", "src_row": "ims_row"})
    return result.join(flags, on=["ims_file", "ims_section", "ims_row"], how="left", maintain_order="left")


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
    unless ``partial``. Whether a decision changes something is decided inside the write
    transaction, against the latest decisions as they are then."""
    who = default_actor(by)
    if any(p.itc_reduction or p.given_amounts for p in proposals):
        result = with_declaration_flags(ws, run_id, result)
    rows = rows_by_key(result)
    checks = validate(proposals, rows)
    out = DecisionOutcome(run_id, source, who, partial, selected=len(proposals) + len(problems), skipped=skipped)
    out.problems = [*problems, *(p for found in checks for p in found)]
    out.refused = len(problems) + sum(1 for found in checks if found)
    valid = [p for p, found in zip(proposals, checks, strict=True) if not found]
    declared = {p.key: declaration(p, rows.get(p.key)) for p in valid}
    by_key = {p.key: p for p in valid}  # a key given twice is given alike (validate refuses otherwise)

    def unchanged(item: DecisionRow, latest: Any) -> bool:
        return is_unchanged(by_key[item.matching_key], latest, declared[item.matching_key])

    items = [DecisionRow(p.key, p.decision or "", clean_remarks(p.remarks), p.note or f"imsrecon decide ({source})",
                         **declared[p.key]) for p in valid]  # fmt: skip
    if out.refused and not partial:  # nothing is written: say how many would have been
        latest = {r["matching_key"]: r for r in ws.latest_decisions().iter_rows(named=True)}
        for item in items:
            if not unchanged(item, latest.get(item.matching_key)):
                out.held_back += 1
                latest[item.matching_key] = {"action": item.action, **item._asdict()}
        return out
    recorded, kept = ws.record_new_decisions(items, who, source, run_id, unchanged=unchanged)  # one transaction
    out.applied, out.unchanged = len(recorded), len(kept)
    out.applied_keys = [k for k, _ in recorded]
    applied = set(out.applied_keys)
    out.undeclared = sum(1 for item in items if item.matching_key in applied and item.action == ACCEPT
                         and item.itc_red_req is None
                         and (rows.get(item.matching_key) or {}).get("ims_section") in SPECIFIED_SECTIONS)  # fmt: skip
    return out


def _unknown(keys: Sequence[str]) -> list[DecisionProblem]:
    return [DecisionProblem(None, None, k, "unknown_key", "no document with this matching key in the run") for k in keys]


def decide(
    ws: Workspace, selection: Selection, action: str, remarks: str | None = None, *, by: str | None = None,
    run_id: int | None = None, partial: bool = False, itc_reduction: str | None = None,
    amounts: tuple[Any, Any, Any, Any] = (None, None, None, None), gstin: str | None = None,
) -> DecisionOutcome:
    """Decide ``action`` (with ``remarks``, if given, and an ITC-reduction declaration: full,
    partial with ``amounts`` (IGST, CGST, SGST, cess), none) for the selected rows: by matching
    keys, or by filter (at least one filter: a decision for every row must be asked for
    explicitly)."""
    if not selection.keys and not selection.has_filter:
        raise DecisionUsageError("say which documents: matching keys, or --status, --supplier or --section")
    run_id, result = _result(ws, run_id, gstin)
    rows, unknown = select_rows(result, selection)
    note = "by key" if selection.keys else f"by filter {selection.describe()}"
    keys = [r["matching_key"] for r in rows] + unknown  # an unknown key is checked like any other
    proposals = [Proposal(k, action, remarks, note=f"imsrecon decide {note}", itc_reduction=itc_reduction,
                          amounts=amounts) for k in keys]  # fmt: skip
    return apply_proposals(ws, run_id, result, proposals, source=SOURCE_CLI, by=by, partial=partial)


def decide_recommended(
    ws: Workspace, selection: Selection | None = None, *, by: str | None = None, run_id: int | None = None,
    partial: bool = False, gstin: str | None = None,
) -> DecisionOutcome:
    """Make each selected row's recommended action its decision, where it is not empty (every
    row of the run when nothing is selected)."""
    run_id, result = _result(ws, run_id, gstin)
    result = with_declaration_flags(ws, run_id, result)
    rows, unknown = select_rows(with_full_declarations(result, "recommended_action"), selection or Selection())
    proposals = recommended(rows)
    return apply_proposals(ws, run_id, result, proposals, source=SOURCE_CLI, by=by, partial=partial,
                           skipped=len(rows) - len(proposals), problems=_unknown(unknown))  # fmt: skip


# --- the Excel round trip (read by imsrecon.decisions_xlsx) ----------------------------------


def decide_from_xlsx(
    ws: Workspace, path: Path, *, by: str | None = None, run_id: int | None = None, partial: bool = False,
    gstin: str | None = None,
) -> DecisionOutcome:
    """Apply the decisions of an edited report workbook (rows with an empty decision are left
    out); refused rows name their sheet and row."""
    proposals, blank = read_decisions_xlsx(path)
    run_id, result = _result(ws, run_id, gstin)
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


def suggestions(
    ws: Workspace, selection: Selection | None = None, run_id: int | None = None, gstin: str | None = None
) -> tuple[int, pl.DataFrame]:
    """(run id, :func:`suggested_rows` of that run; the latest if None)."""
    run_id, result = _result(ws, run_id, gstin)
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
    if found.height:  # an accepted credit note that the books hold: the reduction declared in full
        result = with_declaration_flags(ws, run_id, result)
        found = with_full_declarations(found.join(result.select("matching_key", "ims_section", "is_itc_red_req_blocked"),
                                                  on="matching_key", how="left"), "suggested_action")
    else:
        found = found.with_columns(pl.lit(False).alias("_declare_full"))
    full = "; the ITC reduction declared in full"
    proposals = [Proposal(r["matching_key"], r["suggested_action"], None,
                          note=r["suggestion_reason"] + (full if r["_declare_full"] else "") + why,
                          itc_reduction="full" if r["_declare_full"] else None)
                 for r in found.iter_rows(named=True)]  # fmt: skip
    source = SOURCE_SUGGESTED_AUTO if automatic else SOURCE_SUGGESTED
    return apply_proposals(ws, run_id, result, proposals, source=source, by=by, partial=partial)


def decide_suggested(
    ws: Workspace, selection: Selection | None = None, *, by: str | None = None, run_id: int | None = None,
    partial: bool = False, gstin: str | None = None,
) -> DecisionOutcome:
    """Apply the suggestions of run ``run_id`` (the latest if None) after the user confirmed."""
    run_id, result = _result(ws, run_id, gstin)
    return apply_suggestions(ws, run_id, result, selection, by=by, partial=partial)


def report_annotations(ws: Workspace, run_id: int | None, result: pl.DataFrame) -> pl.DataFrame:
    """What a report workbook shows beside each row: the latest decision, remarks and
    ITC-reduction declaration (matching_key, action, remarks, itc_red_req, decl_*) and, for rows without a decision, the suggestion learned
    from earlier decisions (suggested_action, suggestion_reason)."""
    decided = ws.latest_decisions().select(
        pl.col("matching_key").cast(pl.String), pl.col("action").cast(pl.String), pl.col("remarks").cast(pl.String),
        "itc_red_req", "decl_igst", "decl_cgst", "decl_sgst", "decl_cess")
    if run_id is None or decided.height == 0:  # nothing decided yet: nothing learned either
        return decided.with_columns(pl.lit(None, pl.String).alias(c) for c in ("suggested_action", "suggestion_reason"))
    found = suggested_rows(ws, run_id, result).select("matching_key", "suggested_action", "suggestion_reason")
    return decided.join(found, on="matching_key", how="full", coalesce=True)
