"""Use cases that join the edges (importers, workspace, exporters) to the pure core.

The CLI and the web shell call these and only render what they return.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from imsrecon import __version__
from imsrecon.books_period import BooksPeriod, set_apart_other_periods, span_warning
from imsrecon.config import FilingConfig, MatchConfig
from imsrecon.importers.base import ImportOptions
from imsrecon.model import empty_documents
from imsrecon.recommend import rules_from_config
from imsrecon.reconcile import KEPT_OUT, Reconciliation, reconcile
from imsrecon.store.workspace import Workspace
from imsrecon.workflow_inputs import (
    FileImport,
    Progress,
    _quiet,
    check_recipient,
    check_recipient_gstin,
    import_files,
    parse_files,
    record_files,
    side_documents,
)

__all__ = [
    "FileImport", "RunOutcome", "explain", "import_files", "parse_files", "record_files", "run_demo",
    "run_reconciliation", "stored_run", "write_report", "write_stored_report",
]  # fmt: skip


@dataclass
class RunOutcome:
    reconciliation: Reconciliation
    run_id: int | None  # None with an in-memory workspace
    imports: list[FileImport]
    out_path: Path | None = None
    suggestions_applied: int | None = None  # with [decisions] apply_suggestions on
    recipient_gstin: str | None = None  # the recipient the run is for (None: several, or not known)
    notes: list[str] = field(default_factory=list)  # what was read how (counted once, no IMS …)
    warnings: list[str] = field(default_factory=list)  # what to look at before trusting the counts
    books_period: BooksPeriod | None = None  # the register's tax periods the run is about

    def summary(self) -> dict[str, object]:
        s = self.reconciliation.summary()
        s["run_id"] = self.run_id
        s["recipient_gstin"] = self.recipient_gstin
        s["files"] = [
            {**fi.summary, "path": str(fi.path), "already_imported": fi.already_imported, "import_id": fi.import_id}
            for fi in self.imports
        ]
        s["books_period"] = str(self.books_period) if self.books_period else None
        s["notes"], s["warnings"] = list(self.notes), list(self.warnings)
        if self.out_path is not None:
            s["out"] = str(self.out_path)
        if self.suggestions_applied is not None:
            s["suggestions_applied"] = self.suggestions_applied
        return s


def run_reconciliation(
    ws: Workspace,
    ims_paths: Sequence[Path],
    pr_paths: Sequence[Path],
    options: ImportOptions,
    config: MatchConfig,
    out: Path | None = None,
    progress: Progress = _quiet,
    recommend_overrides: dict[str, str] | None = None,
    decision_settings: dict[str, bool] | None = None,
    books_period: BooksPeriod | None = None,
    filing: FilingConfig | None = None,
) -> RunOutcome:
    """Import (or reuse) the files, reconcile, record the run, write the result if asked.
    ``recommend_overrides`` is the ``[recommend]`` table of the settings file; ``decision_settings``
    its ``[decisions]`` table (``apply_suggestions``: the suggestions learned from earlier
    decisions become decisions without asking); ``filing`` its ``[filing]`` table (monthly or
    quarterly GSTR-3B filing, per recipient GSTIN). No IMS file at all (``ims_paths`` empty) is a
    month with books alone: every register row is missing in IMS. ``books_period``: register
    rows booked outside it that IMS does not hold are ``other_period``, not ``missing_in_ims``
    (:mod:`imsrecon.books_period`); without it, a register spanning far more periods than the IMS
    documents is warned about.

    Refused (InputFileError) when a side's files hold documents but none for the recipient
    given; each IMS document held by several of the files is counted once."""
    recipient = check_recipient_gstin(options.recipient_gstin)
    files = [(p, "ims") for p in ims_paths] + [(p, "pr") for p in pr_paths]
    parsed = parse_files(ws, files, options, progress)
    ims_imports = record_files(ws, parsed[: len(ims_paths)], progress)
    pr_imports = record_files(ws, parsed[len(ims_paths) :], progress)
    progress("matching")
    ims_docs, notes = side_documents(ws, ims_imports, merge=True)
    pr_docs, pr_notes = side_documents(ws, pr_imports, merge=False)
    notes += pr_notes
    check_recipient(ims_imports, ims_docs, recipient, "the IMS files hold")
    check_recipient(pr_imports, pr_docs, recipient, "the registers hold")
    if not ims_paths:
        notes.append("no IMS download given (--no-ims): every register row is missing in IMS")
    elif ims_docs.height == 0:
        notes.append("the IMS files hold no documents (an empty month): every register row is missing in IMS")
    docs = [ims_docs, pr_docs]
    # from here on reconcile() holds the only reference to the documents, so that it can let go
    # of the columns it does not read (hundreds of MB at a million documents)
    del parsed, ims_docs, pr_docs
    for fi in (*ims_imports, *pr_imports):
        fi.documents = None
    rules = rules_from_config({"recommend": recommend_overrides or {}})
    rec = reconcile(docs.pop(0), docs.pop(0), config, recipient, rules, filing)
    rec.result = set_apart_other_periods(rec.result, books_period)
    warnings = [w for w in [span_warning(rec.result)] if w] if books_period is None else []
    run_config = {"match": config.to_dict(), "recommend": recommend_overrides or {}, "filing": rec.filing.to_dict(),
                  "decisions": decision_settings or {},
                  "recipient_gstin": recipient,
                  "books_period": str(books_period) if books_period else None,
                  "mapping_file": str(options.mapping_file) if options.mapping_file else None,
                  "tool_version": __version__}
    run_recipient = recipient or (rec.recipients[0] if len(rec.recipients) == 1 else None)
    run_id = None
    if not ws.is_memory:
        progress("saving the run")
        run_id = ws.record_run(
            run_config, list(dict.fromkeys(fi.import_id for fi in ims_imports)),
            list(dict.fromkeys(fi.import_id for fi in pr_imports)), rec.result, recipient_gstin=run_recipient,
        )
    outcome = RunOutcome(rec, run_id, ims_imports + pr_imports, recipient_gstin=run_recipient, notes=notes,
                         warnings=warnings, books_period=books_period)
    if run_id is not None and (decision_settings or {}).get("apply_suggestions"):
        from imsrecon.workflow_decisions import apply_suggestions

        progress("applying suggestions from earlier decisions")
        outcome.suggestions_applied = apply_suggestions(ws, run_id, rec.result, partial=True, automatic=True).applied
    if out is not None:
        progress(f"writing {out.name}")
        write_report(rec.result, out, outcome.summary(), rec.reverse_charge, stored_decisions(ws, out, run_id, rec.result))
        outcome.out_path = out
    return outcome


REVERSE_CHARGE_SHEET = "Kept out of matching"  # reverse charge, unregistered suppliers
_RCM_COLUMNS = ["src_file", "src_sheet", "src_row", "src_line", "supplier_gstin", "supplier_name", "doc_class",
                "doc_no", "doc_date", "taxable_value", "igst", "cgst", "sgst", "cess", "doc_value", "reverse_charge",
                "flags"]


def stored_decisions(ws: Workspace, out: Path, run_id: int | None, result: pl.DataFrame) -> pl.DataFrame | None:
    """When ``out`` is an Excel report: the workspace's latest decisions (they pre-fill its
    decision and remarks columns) and the suggestions learned from them; None otherwise."""
    from imsrecon.workflow_decisions import report_annotations

    if ws.is_memory or out.suffix.lower() != ".xlsx":
        return None
    return report_annotations(ws, run_id, result)


def write_report(
    result: pl.DataFrame, out: Path, summary: dict[str, object], reverse_charge: pl.DataFrame | None = None,
    decisions: pl.DataFrame | None = None,
) -> Path:
    """Write the result; an Excel report also lists the reverse-charge rows kept out of matching
    and ends each category sheet with the decision and remarks columns (pre-filled from
    ``decisions``: matching_key, action, remarks)."""
    from imsrecon.exporters.tables import write_result

    meta = {k: v for k, v in summary.items() if k not in ("files", "counts")}
    meta["generated_at"] = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    extra = {REVERSE_CHARGE_SHEET: reverse_charge.select(_RCM_COLUMNS)} if reverse_charge is not None else None
    suggested = 0 if decisions is None or "suggested_action" not in decisions.columns else (
        decisions["suggested_action"].is_not_null().sum())
    if suggested:
        meta["suggested_decisions"] = (f"{suggested} rows have a suggested_decision learned from your earlier "
                                       "decisions: copy it into decision, or run `imsrecon decide --suggested --yes`")
    return write_result(result, out, meta, extra, decisions)


def stored_run(ws: Workspace, run_id: int | None, recipient_gstin: str | None = None) -> dict[str, object] | None:
    """The run a command means, as a row of ``ws.runs()``: run ``run_id``, else the latest run of
    ``recipient_gstin``, else the latest run; None when the workspace has no run yet.

    Refuses ambiguity (:class:`~imsrecon.store.workspace.RunChoiceError`): with neither given
    while the workspace holds runs of several recipients, or a run that is another recipient's.
    An id the workspace does not hold, or a recipient without a run, raises NoRunError. Every
    command that acts on a run (report, explain, figures, decide, export-upload) passes its
    ``--run`` and ``--gstin`` here."""
    return ws.choose_run(run_id, check_recipient_gstin(recipient_gstin))


def write_stored_report(
    ws: Workspace, run_id: int | None, out: Path, recipient: str | None = None
) -> dict[str, object] | None:
    """Write a stored run's result (see :func:`stored_run` for which); None when the workspace
    has no run yet."""
    from imsrecon.result import summary_counts

    run = stored_run(ws, run_id, recipient)
    if run is None:
        return None
    run_id = int(run["id"])  # type: ignore[arg-type]
    result = ws.load_result(run_id)
    summary: dict[str, object] = {"run_id": run_id, "recipient_gstin": run["recipient_gstin"],
                                  "counts": summary_counts(result), "out": str(out)}
    pr_ids = json.loads(run["pr_import_ids"]) if isinstance(run["pr_import_ids"], str) else run["pr_import_ids"]
    pr_docs = ws.load_documents(list(pr_ids)) if pr_ids else empty_documents()
    rcm = pr_docs.filter(KEPT_OUT)
    write_report(result, out, summary, rcm, stored_decisions(ws, out, run_id, result))
    return summary


DEMO_RECIPIENT = "27AAPFU0939F1ZV"


def run_demo(
    folder: Path, size: int, seed: int, layout: str, progress: Progress = _quiet
) -> tuple[RunOutcome, dict[str, Path]]:
    """Generate demo data into ``folder``, reconcile it in a workspace there, write the reports."""
    from imsrecon.demo.generator import generate

    folder.mkdir(parents=True, exist_ok=True)
    progress(f"generating {size:,} demo documents")
    data = generate(n_ims=size, seed=seed, recipient_gstin=DEMO_RECIPIENT, layout=layout)
    paths = data.write(folder, pr_format="xlsx")
    ws = Workspace.open(str(folder / "imsrecon.db"))
    try:
        report = folder / "reconciliation.xlsx"
        outcome = run_reconciliation(
            ws, [paths["ims"]], [paths["pr"]], ImportOptions(recipient_gstin=DEMO_RECIPIENT),
            MatchConfig(), report, progress,
        )
        csv_path = folder / "reconciliation.csv"
        write_report(outcome.reconciliation.result, csv_path, outcome.summary())
    finally:
        ws.close()
    return outcome, {**paths, "report_xlsx": report, "report_csv": csv_path, "workspace": folder / "imsrecon.db"}


@dataclass
class Explanation:
    """A document's result row and its comparison with its candidates."""

    run_id: int
    row: dict[str, object]  # the result row
    side: str  # "ims" or "pr": which side the document is on
    candidates: pl.DataFrame  # match.inspect.candidate_table


def _stored_config(run: dict[str, object]) -> MatchConfig:
    cfg = json.loads(str(run["config_json"] or "{}"))
    return MatchConfig.from_dict(cfg.get("match", {}))


def explain(
    ws: Workspace, key: str, run_id: int | None = None, limit: int = 10, recipient: str | None = None
) -> list[Explanation]:
    """Explain the documents of a stored run (see :func:`stored_run` for which) whose matching
    key, or whose document number (as written or normalised, either side), is ``key``."""
    from imsrecon.match.inspect import candidate_table
    from imsrecon.normalise.docno import doc_no_norm_expr, normalise_doc_no

    run = stored_run(ws, run_id, recipient)
    if run is None:
        return []
    run_id = int(run["id"])  # type: ignore[arg-type]
    result = ws.load_result(run_id)
    norm = normalise_doc_no(key)
    hits = result.filter(
        (pl.col("matching_key") == key)
        | (pl.col("ims_doc_no").str.to_uppercase() == key.upper())
        | (pl.col("pr_doc_no").str.to_uppercase() == key.upper())
        | (doc_no_norm_expr(pl.col("ims_doc_no")) == norm)
        | (doc_no_norm_expr(pl.col("pr_doc_no")) == norm)
    )
    if hits.height == 0:
        return []
    ims_ids, pr_ids = json.loads(run["ims_import_ids"]), json.loads(run["pr_import_ids"])
    ims = ws.load_documents(ims_ids) if ims_ids else empty_documents()
    pr = ws.load_documents(pr_ids) if pr_ids else empty_documents()
    recipient = json.loads(run["config_json"] or "{}").get("recipient_gstin")
    if recipient:  # as the run saw them: other recipients' documents left out
        ims = ims.filter(pl.col("recipient_gstin").fill_null(recipient) == recipient)
        pr = pr.filter(pl.col("recipient_gstin").fill_null(recipient) == recipient)
    pr = pr.filter(~pl.col("reverse_charge").fill_null(False))
    config = _stored_config(run)
    out = []
    for row in hits.iter_rows(named=True):
        if row["ims_doc_no"] is not None:
            where = (pl.col("src_file") == row["ims_file"]) & (pl.col("ims_section") == row["ims_section"]) & (
                pl.col("src_row") == row["ims_row"])
            side, frame = "ims", ims
        else:
            where = (pl.col("src_file") == row["pr_file"]) & (pl.col("src_row") == row["pr_row"]) & (
                pl.col("src_sheet").eq_missing(row["pr_sheet"]))
            side, frame = "pr", pr
        found = frame.with_row_index("_idx").filter(where)["_idx"]
        table = pl.DataFrame()
        if found.len():
            index = int(found[0])
            kw = {"ims_index": index} if side == "ims" else {"pr_index": index}
            table = candidate_table(ims.drop("document_id"), pr.drop("document_id"), config, limit=limit, **kw)
        out.append(Explanation(run_id, row, side, table))
    return out

