"""Rich rendering for the CLI: tables, issue lists and progress. Computes nothing."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from imsrecon.issues import RowIssue, Severity
from imsrecon.result import STATUS_LABELS, STATUS_ORDER, MatchStatus

# No markup: what is printed holds file names, document numbers and messages with brackets
# ("[document_types]", "Bills [Apr].csv"); style goes through say() and Text instead.
console = Console(highlight=False, markup=False)
err_console = Console(stderr=True, highlight=False, markup=False)

_SEVERITY_STYLE = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "dim"}


@contextmanager
def progress(enabled: bool) -> Iterator[Any]:
    """A spinner with the current step and elapsed time, on stderr; a no-op when disabled."""
    if not enabled:
        yield lambda _msg: None
        return
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}", markup=False), TimeElapsedColumn(),
        console=err_console, transient=True,
    ) as bar:
        task = bar.add_task("starting", total=None)
        yield lambda msg: bar.update(task, description=msg)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def import_table(files: list[dict[str, Any]]) -> Table:
    table = Table(title="Imported files")
    for col in ("file", "kind", "read", "imported", "warnings", "errors", "note"):
        table.add_column(col, justify="right" if col in ("read", "imported", "warnings", "errors") else "left")
    for f in files:
        table.add_row(
            str(f.get("file") or f.get("file_name")), str(f.get("kind", "")), str(f.get("rows_read", "")),
            str(f.get("imported", f.get("documents", ""))), str(f.get("warnings", "")),
            str(f.get("errors", "")), "already imported" if f.get("already_imported") else "",
        )
    return table


def print_import_table(files: list[dict[str, Any]]) -> None:
    console.print(import_table(files))
    for f in files:
        if f.get("already_imported"):
            console.print(f"{f.get('file') or f.get('file_name')}: already imported, nothing new "
                          "(its stored documents are used)", soft_wrap=True)


def print_notes(notes: list[str], warnings: list[str]) -> None:
    """A run's notes (how its inputs were read) and warnings (what to look at first)."""
    for note in notes:
        console.print(note, style="dim", soft_wrap=True)
    for warning in warnings:
        say("warning:", "yellow", warning)


def print_issues(issues: list[RowIssue], limit: int) -> None:
    shown = sorted(issues, key=lambda i: (list(Severity).index(i.severity), i.file, i.sheet or "", i.row or 0))
    for issue in shown[:limit]:
        console.print(str(issue), style=_SEVERITY_STYLE[issue.severity], soft_wrap=True)
    if len(shown) > limit:
        console.print(f"… and {len(shown) - limit} more (write them all with --issues-out FILE)")


def counts_table(counts: dict[str, int], title: str = "Reconciliation") -> Table:
    table = Table(title=title)
    table.add_column("category")
    table.add_column("documents", justify="right")
    for status in STATUS_ORDER:
        if status == MatchStatus.OTHER_PERIOD and not counts.get(status):
            continue  # only runs given the books' period (--period) have them
        table.add_row(STATUS_LABELS[status], f"{counts.get(status, 0):,}")
    table.add_row(Text("Total", style="bold"), Text(f"{sum(counts.values()):,}", style="bold"))
    return table


def say(label: str, style: str, text: str, *, to: Console | None = None) -> None:
    """A styled label, then plain text (never read as markup)."""
    (to or console).print(Text.assemble((label, style), " ", text), soft_wrap=True)


def fail(message: str, code: int = 1) -> None:
    say("error:", "red", message, to=err_console)
    raise SystemExit(code)


_RESULT_FIELDS = (
    "match_status", "matching_key", "ims_section", "ims_supplier_gstin", "ims_doc_no", "ims_doc_date",
    "pr_file", "pr_row", "pr_supplier_gstin", "pr_supplier_name", "pr_doc_no", "pr_doc_date", "differences",
    "comparison", "score", "recommended_action", "reason", "nearest_candidate", "nearest_score",
    "nearest_ruled_out_by",
)


def print_explanation(e: Any) -> None:
    """A document's result and its candidates as tables."""
    head = Table(title=f"{'IMS document' if e.side == 'ims' else 'Register row'} (run {e.run_id})", show_header=False)
    head.add_column("field", style="bold")
    head.add_column("value")
    for name in _RESULT_FIELDS:
        value = e.row.get(name)
        if value not in (None, ""):
            head.add_row(name, str(value))
    console.print(head)
    if e.candidates.height == 0:
        console.print("No document of this supplier on the other side.")
        return
    other = "register" if e.side == "ims" else "IMS"
    table = Table(title=f"Candidates in the {other}, best first")
    for col in ("number", "date", "GSTIN", "doc_no", "date diff", "differences", "score", "could pair", "ruled out by"):
        table.add_column(col)
    for c in e.candidates.iter_rows(named=True):
        table.add_row(
            str(c["candidate_doc_no"]), str(c["candidate_doc_date"]), str(c["candidate_gstin"]),
            c["doc_no"] + (f" ({c['num_sim']:.2f})" if c["doc_no"] == "similar" else ""),
            f"{c['date_diff']:+d} d", c["differences"] or "-", f"{c['score']:.3f}",
            "yes" if c["accept"] else "no", c["ruled_out_by"] or "",
        )
    console.print(table)
