"""`imsrecon changes`: renders what imsrecon.workflow_snapshots returns."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from imsrecon.cli import render
from imsrecon.cli.app import DbOption, JsonOption, _open, _user_errors, app


@app.command()
def changes(
    import_id: Annotated[int | None, typer.Option("--import", help="An IMS import id; the latest if left out.",
                                                  show_default=False)] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write the new, changed and removed documents and the "
                                             "decisions to review to this .xlsx file.", show_default=False)] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """What changed in IMS since the previous download of the same GSTIN: new documents, changed
    ones (hash, values, status, or amended), removed ones, and decisions that need a new look."""
    from imsrecon.workflow_snapshots import changes_since_previous

    with _user_errors():
        ws = _open(db)
        found = changes_since_previous(ws, import_id)
    if found is None:
        render.fail("no earlier IMS download of the same GSTIN to compare with")
    summary = found.summary()
    if out is not None:
        _write(found, out)
    if as_json:
        render.print_json({**summary, "review": found.review.to_dicts(), "removed_documents": found.removed.to_dicts()})
        return
    render.console.print(
        f"Import {summary['import_id']} against {summary['previous_file']} (import {summary['previous_import_id']}): "
        f"{summary['new']} new, {summary['changed']} changed, {summary['removed']} removed, "
        f"{summary['unchanged']} unchanged", soft_wrap=True)
    for row in found.review.head(50).iter_rows(named=True):
        render.say("review:", "yellow", f"{row['identity_key']}: {row['review_reason']}")
    if out is not None:
        render.console.print(f"wrote {out}")


def _write(found, out: Path) -> None:  # noqa: ANN001 - a workflow_snapshots.Changes
    from imsrecon.exporters.excel import write_tables_xlsx

    diff = found.diff
    keep = ["identity_key", "ims_section", "supplier_gstin", "doc_no", "doc_date", "taxable_value", "igst", "cgst",
            "sgst", "cess", "action"]
    write_tables_xlsx(out, {
        "New": diff.new.select([c for c in keep if c in diff.new.columns]),
        "Changed": diff.changed,
        "Removed": found.removed,
        "Review": found.review,
    })
    _ = pl  # frames above are Polars
