"""`imsrecon figures`: ITC figures, supplier follow-ups and mail drafts for a stored run."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.table import Table

from imsrecon.cli import render
from imsrecon.cli.app import DbOption, JsonOption, RunGstinOption, _open, _user_errors, app


@app.command()
def figures(
    out: Annotated[Path | None, typer.Option("--out", help="Write the figures and the follow-up list to this "
                                             ".xlsx (or .csv: the follow-up list only).", show_default=False)] = None,
    mails: Annotated[Path | None, typer.Option("--mails", help="Folder for one plain-text mail draft per supplier "
                                               "with documents missing in IMS.", file_okay=False,
                                               show_default=False)] = None,
    company: Annotated[str | None, typer.Option("--company", help="Your company name, for the mail drafts.",
                                                show_default=False)] = None,
    run: Annotated[int | None, typer.Option("--run", help="Run id; the latest run if left out.",
                                            show_default=False)] = None,
    gstin: RunGstinOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """ITC available, at risk, rejected and pending (by category and by supplier), and the
    suppliers to follow up for documents missing in IMS."""
    from imsrecon.workflow_figures import run_figures

    with _user_errors():
        ws = _open(db)
        found = run_figures(ws, run, out, mails, company, gstin)
    if found is None:
        render.fail("no reconciliation run in this workspace yet: run `imsrecon reconcile` first")
    if as_json:
        render.print_json({"run_id": found.run_id, "by_category": found.by_category.to_dicts(),
                           "followup_suppliers": found.followups["supplier_gstin"].n_unique(),
                           "files": [str(p) for p in found.files]})
        return
    table = Table(title=f"ITC, run {found.run_id}")
    table.add_column("category")
    table.add_column("documents", justify="right")
    table.add_column("ITC (₹)", justify="right")
    for row in found.by_category.iter_rows(named=True):
        table.add_row(str(row["category"]), f"{row['documents']:,}", f"{row['itc']:,.2f}")
    render.console.print(table)
    suppliers = found.followups.select(pl.col("supplier_gstin").n_unique()).item() if found.followups.height else 0
    render.console.print(f"{found.followups.height} documents missing in IMS from {suppliers} suppliers to follow up.")
    for path in found.files:
        render.console.print(f"wrote {path}")
