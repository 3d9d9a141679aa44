"""Use cases that join the edges (importers, workspace, exporters) to the pure core.

The CLI and the web shell call these and only render what they return.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from imsrecon import __version__
from imsrecon.config import MatchConfig
from imsrecon.importers.base import ImportOptions, ImportResult, sha256_of
from imsrecon.importers.registry import detect
from imsrecon.issues import InputFileError, RowIssue
from imsrecon.model import empty_documents
from imsrecon.reconcile import Reconciliation, reconcile
from imsrecon.store.workspace import Workspace

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
    parsed: list[tuple[Path, str, str, ImportResult | None, dict | None]] = []
    for path in paths:
        progress(f"reading {path.name}")
        digest = sha256_of(path)
        importer = detect(path, side)
        known = ws.find_import(digest, importer.side.value)
        if known is not None:
            parsed.append((path, importer.side.value, digest, None, known))
            continue
        result = importer.read(path, options)
        parsed.append((path, result.side.value, digest, result, None))
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

    def summary(self) -> dict[str, object]:
        s = self.reconciliation.summary()
        s["run_id"] = self.run_id
        s["files"] = [
            {**fi.summary, "path": str(fi.path), "already_imported": fi.already_imported}
            for fi in self.imports
        ]
        if self.out_path is not None:
            s["out"] = str(self.out_path)
        return s


def run_reconciliation(
    ws: Workspace,
    ims_paths: Sequence[Path],
    pr_paths: Sequence[Path],
    options: ImportOptions,
    config: MatchConfig,
    out: Path | None = None,
    progress: Progress = _quiet,
) -> RunOutcome:
    """Import (or reuse) the files, reconcile, record the run, write the result if asked."""
    ims_imports = import_files(ws, ims_paths, "ims", options, progress)
    pr_imports = import_files(ws, pr_paths, "pr", options, progress)
    progress("matching")
    ims_docs = documents_of(ws, ims_imports)
    pr_docs = documents_of(ws, pr_imports)
    rec = reconcile(ims_docs, pr_docs, config, options.recipient_gstin)
    run_config = {"match": config.to_dict(), "recipient_gstin": options.recipient_gstin,
                  "mapping_file": str(options.mapping_file) if options.mapping_file else None,
                  "tool_version": __version__}
    run_id = None
    if not ws.is_memory:
        progress("saving the run")
        run_id = ws.record_run(
            run_config, [fi.import_id for fi in ims_imports], [fi.import_id for fi in pr_imports], rec.result
        )
    outcome = RunOutcome(rec, run_id, ims_imports + pr_imports)
    if out is not None:
        progress(f"writing {out.name}")
        write_report(rec.result, out, outcome.summary(), rec.reverse_charge)
        outcome.out_path = out
    return outcome


REVERSE_CHARGE_SHEET = "Reverse charge"
_RCM_COLUMNS = ["src_file", "src_sheet", "src_row", "src_line", "supplier_gstin", "supplier_name", "doc_class",
                "doc_no", "doc_date", "taxable_value", "igst", "cgst", "sgst", "cess", "doc_value", "flags"]


def write_report(
    result: pl.DataFrame, out: Path, summary: dict[str, object], reverse_charge: pl.DataFrame | None = None
) -> Path:
    """Write the result; an Excel report also lists the reverse-charge rows kept out of matching."""
    from imsrecon.exporters.tables import write_result

    meta = {k: v for k, v in summary.items() if k not in ("files", "counts")}
    meta["generated_at"] = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    extra = {REVERSE_CHARGE_SHEET: reverse_charge.select(_RCM_COLUMNS)} if reverse_charge is not None else None
    return write_result(result, out, meta, extra)


def write_stored_report(ws: Workspace, run_id: int | None, out: Path) -> dict[str, object] | None:
    """Write a stored run's result; None when the workspace has no run yet."""
    from imsrecon.result import summary_counts

    runs = ws.runs()
    if runs.height == 0:
        return None
    if run_id is None:
        run_id = int(runs["id"].max())  # type: ignore[arg-type]
    elif run_id not in runs["id"].to_list():
        raise InputFileError(str(ws.url), f"no run {run_id} in this workspace")
    result = ws.load_result(run_id)
    summary: dict[str, object] = {"run_id": run_id, "counts": summary_counts(result), "out": str(out)}
    run = runs.filter(pl.col("id") == run_id).row(0, named=True)
    pr_ids = json.loads(run["pr_import_ids"]) if isinstance(run["pr_import_ids"], str) else run["pr_import_ids"]
    pr_docs = ws.load_documents(list(pr_ids)) if pr_ids else empty_documents()
    write_report(result, out, summary, pr_docs.filter(pl.col("reverse_charge").fill_null(False)))
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
