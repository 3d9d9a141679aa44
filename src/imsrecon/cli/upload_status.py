"""`imsrecon upload-status`: renders what imsrecon.workflow_upload_status returns."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from imsrecon.cli import render
from imsrecon.cli.app import DbOption, JsonOption, _open, _user_errors, app, regular_files


@app.command("upload-status")
def upload_status(
    response: Annotated[
        Path, typer.Option("--from", help="The portal's request-status answer (JSON).", exists=True, dir_okay=False,
                     callback=regular_files)
    ],
    upload: Annotated[
        int | None, typer.Option("--upload", help="Upload id; the latest upload if left out.", show_default=False)
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Apply the portal's answer for an upload (status P, PE, ER or IP) to its documents: uploaded,
    processing or failed with the portal's error and what to do about it. Documents uploaded are
    not sent again by `imsrecon export-upload`, whose prev_status then is the action they were
    uploaded with; processing ones are held back until their status is known. `imsrecon report
    --errors` lists the failures."""
    from imsrecon.workflow_upload_status import apply_upload_status

    with _user_errors():
        ws = _open(db)
        summary = apply_upload_status(ws, response, upload)
    if summary is None:
        render.fail("no upload in this workspace yet: run `imsrecon export-upload` first")
    if as_json:
        render.print_json(summary)
        return
    table = Table(
        title=f"Upload {summary['upload_id']} ({summary['file_name']}): {summary['status']}", show_header=False
    )
    for status, count in summary["counts"].items():
        table.add_row(status, f"{count:,}")
    render.console.print(table)
    for e in summary["errors"][:50]:
        extra = f" — {e['hint']}" if e.get("hint") else ""
        render.say("failed:", "red", f"{e['section']} {e['doc_no']} ({e['supplier_gstin']}): "
                   f"{e['error_cd'] or ''} {e['error_msg'] or ''}{extra}")
    for e in summary["unmatched"]:
        extra = f" — {e['hint']}" if e.get("hint") else ""
        render.say("error for no document of this upload:", "yellow", f"{e['section']} {e['doc_no']} "
                   f"({e['stin']}): {e['error_cd'] or ''} {e['error_msg'] or ''}{extra}")
    if len(summary["errors"]) > 50:
        render.console.print(f"… and {len(summary['errors']) - 50:,} more: `imsrecon report --errors --out FILE`",
                             markup=False)
