"""Use cases that join the edges (importers, workspace, exporters) to the pure core.

The CLI and the web shell call these and only render what they return.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from imsrecon import __version__
from imsrecon.config import FilingConfig, MatchConfig
from imsrecon.importers.base import ImportOptions, ImportResult, sha256_of
from imsrecon.importers.registry import detect
from imsrecon.issues import RowIssue
from imsrecon.model import empty_documents
from imsrecon.recommend import rules_from_config
from imsrecon.reconcile import KEPT_OUT, Reconciliation, reconcile
from imsrecon.store.workspace import NoRunError, Workspace

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


@dataclass
class FileImport:
    """One file brought into the workspace (or found there already)."""

    path: Path
    side: str
    import_id: int | None  # None with an in-memory workspace: nothing is kept
    already_imported: bool
    summary: dict[str, object]
    issues: list[RowIssue] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    documents: pl.DataFrame | None = None  # with a document_id column when loaded from the store


Parsed = tuple[Path, str, str, ImportResult | None, dict | None]


def parse_files(
    ws: Workspace, files: Sequence[tuple[Path, str | None]], options: ImportOptions, progress: Progress = _quiet
) -> list[Parsed]:
    """(path, side, sha256, the import or None if the workspace has it, the stored import) per
    file. Files are read two at a time (an IMS download beside a register: one reader's Python
    work overlaps the other's Polars work). Measured at 1M documents on 2 cores: the whole run
    16.5 s side by side, 17.6 s one after the other; the two readers' peaks together (2.1 GB)
    stay near the matching's own (2.0 GB) since neither copies its whole frame any more."""
    from concurrent.futures import ThreadPoolExecutor

    def one(item: tuple[Path, str | None]) -> Parsed:
        path, side = item
        progress(f"reading {path.name}")
        digest = "" if ws.is_memory else sha256_of(path)  # nothing is kept or looked up in memory
        importer = detect(path, side)
        known = None if ws.is_memory else ws.find_import(digest, importer.side.value)
        if known is not None:
            return path, importer.side.value, digest, None, known
        result = importer.read(path, options)
        return path, result.side.value, digest, result, None

    if ws.is_memory:  # nothing is kept, so no upload will echo the downloaded records
        options = dataclasses.replace(options, keep_portal_record=False)
    if len(files) < 2:
        return [one(f) for f in files]
    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(one, files))


def import_files(
    ws: Workspace,
    paths: Sequence[Path],
    side: str | None,
    options: ImportOptions,
    progress: Progress = _quiet,
) -> list[FileImport]:
    """Read every file first (a file that cannot be read stops everything before anything is
    written), then record each in its own transaction. A file imported before is not imported
    again: its stored documents are used and the outcome says so."""
    return record_files(ws, parse_files(ws, [(p, side) for p in paths], options, progress), progress)


def record_files(ws: Workspace, parsed: Sequence[Parsed], progress: Progress = _quiet) -> list[FileImport]:
    """Record each parsed file in its own transaction (or reuse the stored import)."""
    out: list[FileImport] = []
    for path, file_side, digest, result, known in parsed:
        if result is None:
            assert known is not None
            import_id = int(known["id"])
            out.append(FileImport(
                path, file_side, import_id, True,
                {k: known.get(k) for k in ("file_name", "kind", "side", "rows_read", "documents", "warnings", "errors")},
                ws.load_issues(import_id),
            ))
            continue
        if ws.is_memory:  # nothing outlives the command: keep the documents in memory only
            out.append(FileImport(path, file_side, None, False, result.summary(), result.issues, result.notes,
                                  result.documents))
            continue
        progress(f"saving {path.name}")
        outcome = ws.record_import(result, digest, str(path))
        out.append(FileImport(
            path, file_side, outcome.import_id, outcome.already_imported, result.summary(),
            result.issues, result.notes, result.documents,
        ))
    return out


def documents_of(ws: Workspace, imports: Sequence[FileImport]) -> pl.DataFrame:
    """The documents of these imports, in import order (from memory, or from the workspace)."""
    frames = [
        fi.documents if fi.documents is not None else ws.load_documents([fi.import_id]).drop("document_id")
        for fi in imports
    ]
    return pl.concat(frames, how="vertical") if frames else empty_documents()


@dataclass
class RunOutcome:
    reconciliation: Reconciliation
    run_id: int | None  # None with an in-memory workspace
    imports: list[FileImport]
    out_path: Path | None = None
    suggestions_applied: int | None = None  # with [decisions] apply_suggestions on

    def summary(self) -> dict[str, object]:
        s = self.reconciliation.summary()
        s["run_id"] = self.run_id
        s["files"] = [
            {**fi.summary, "path": str(fi.path), "already_imported": fi.already_imported}
            for fi in self.imports
        ]
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
    filing: FilingConfig | None = None,
) -> RunOutcome:
    """Import (or reuse) the files, reconcile, record the run, write the result if asked.
    ``recommend_overrides`` is the ``[recommend]`` table of the settings file; ``decision_settings``
    its ``[decisions]`` table (``apply_suggestions``: the suggestions learned from earlier
    decisions become decisions without asking); ``filing`` its ``[filing]`` table (monthly or
    quarterly GSTR-3B filing, per recipient GSTIN)."""
    files = [(p, "ims") for p in ims_paths] + [(p, "pr") for p in pr_paths]
    parsed = parse_files(ws, files, options, progress)
    ims_imports = record_files(ws, parsed[: len(ims_paths)], progress)
    pr_imports = record_files(ws, parsed[len(ims_paths) :], progress)
    progress("matching")
    docs = [documents_of(ws, ims_imports), documents_of(ws, pr_imports)]
    # from here on reconcile() holds the only reference to the documents, so that it can let go
    # of the columns it does not read (hundreds of MB at a million documents)
    del parsed
    for fi in (*ims_imports, *pr_imports):
        fi.documents = None
    rules = rules_from_config({"recommend": recommend_overrides or {}})
    rec = reconcile(docs.pop(0), docs.pop(0), config, options.recipient_gstin, rules, filing)
    run_config = {"match": config.to_dict(), "recommend": recommend_overrides or {}, "filing": rec.filing.to_dict(),
                  "decisions": decision_settings or {},
                  "recipient_gstin": options.recipient_gstin,
                  "mapping_file": str(options.mapping_file) if options.mapping_file else None,
                  "tool_version": __version__}
    run_id = None
    if not ws.is_memory:
        progress("saving the run")
        run_id = ws.record_run(
            run_config, [fi.import_id for fi in ims_imports], [fi.import_id for fi in pr_imports], rec.result
        )
    outcome = RunOutcome(rec, run_id, ims_imports + pr_imports)
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


def stored_run(ws: Workspace, run_id: int | None) -> dict[str, object] | None:
    """The run ``run_id`` (the latest if None) as a row of ``ws.runs()``; None when the workspace
    has no run yet. An id the workspace does not hold raises NoRunError."""
    runs = ws.runs()
    if runs.height == 0:
        return None
    wanted = runs.filter(pl.col("id") == (runs["id"].max() if run_id is None else run_id))
    if wanted.height == 0:
        raise NoRunError(f"no run {run_id} in this workspace")
    return wanted.row(0, named=True)


def write_stored_report(ws: Workspace, run_id: int | None, out: Path) -> dict[str, object] | None:
    """Write a stored run's result; None when the workspace has no run yet."""
    from imsrecon.result import summary_counts

    run = stored_run(ws, run_id)
    if run is None:
        return None
    run_id = int(run["id"])  # type: ignore[arg-type]
    result = ws.load_result(run_id)
    summary: dict[str, object] = {"run_id": run_id, "counts": summary_counts(result), "out": str(out)}
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


def explain(ws: Workspace, key: str, run_id: int | None = None, limit: int = 10) -> list[Explanation]:
    """Explain the documents of a stored run whose matching key, or whose document number (as
    written or normalised, either side), is ``key``."""
    from imsrecon.match.inspect import candidate_table
    from imsrecon.normalise.docno import doc_no_norm_expr, normalise_doc_no

    run = stored_run(ws, run_id)
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

