"""`imsrecon export-upload`: renders what imsrecon.workflow_upload returns."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from imsrecon.cli import render
from imsrecon.cli.app import DbOption, JsonOption, RunGstinOption, _open, _user_errors, app


@app.command("export-upload")
def export_upload(
    out: Annotated[Path, typer.Option("--out", help="Folder for SAVE-n.json, RESET-n.json and precheck.csv.",
                                      file_okay=False)],
    with_recommendations: Annotated[bool, typer.Option(
        "--with-recommendations", help="Use the recommended action wherever you have not decided (an accepted "
        "credit note that your books hold: with the recommendation's full ITC-reduction declaration).")] = False,
    run: Annotated[int | None, typer.Option("--run", help="Run id; the latest run if left out.",
                                            show_default=False)] = None,
    gstin: RunGstinOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write the portal's SAVE and RESET files for every document whose action changes, each split
    below 4 MB and checked against the portal's rules first. prev_status is the portal's action
    now: the download's, or the one a later successful upload set (documents already uploaded with
    the same action are not sent again). Documents the portal would refuse are left out and listed
    in precheck.csv with what to do — among them an accepted credit note without an ITC-reduction
    declaration (decide one with `imsrecon decide KEY --action accept --itc-reduction …`) and a
    document of an upload still being processed. SAVE-n/RESET-n files of an earlier export in the
    folder are replaced."""
    from imsrecon.workflow_upload import export_upload as export

    with _user_errors():
        ws = _open(db)
        outcome = export(ws, out, run, with_recommendations, gstin=gstin)
    if outcome is None:
        render.fail("no reconciliation run in this workspace yet: run `imsrecon reconcile` first")
    summary = outcome.summary()
    if as_json:
        render.print_json({**summary, "problems": [dataclasses.asdict(p) for p in outcome.plan.problems]})
        return
    table = Table(title=f"Upload files for run {outcome.run_id}", show_header=False)
    for label, key in (("SAVE records", "save_records"), ("RESET records", "reset_records"),
                       ("unchanged (not sent)", "unchanged"), ("refused (see precheck.csv)", "refused"),
                       ("from your decisions", "from_decisions"), ("from recommendations", "from_recommendations"),
                       ("ITC-reduction declarations you decided", "reductions_declared"),
                       ("ITC reductions declared in full as recommended", "reductions_recommended")):
        table.add_row(label, f"{summary[key]:,}")
    render.console.print(table)
    for problem in outcome.plan.problems[:20]:
        render.say("refused:", "yellow", f"{problem.section} {problem.doc_no} ({problem.supplier_gstin}): "
                   f"{problem.message}")
    for path in outcome.files:
        render.console.print(f"wrote {path}")
