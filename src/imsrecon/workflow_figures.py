"""Use case: figures for the user from a stored run (ITC by category and supplier, follow-ups)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from imsrecon.figures import followup_mail, itc_figures, supplier_followups
from imsrecon.store.workspace import Workspace
from imsrecon.workflow import stored_run


@dataclass
class Figures:
    run_id: int
    by_category: pl.DataFrame
    by_supplier: pl.DataFrame
    followups: pl.DataFrame
    files: list[Path] = field(default_factory=list)


def run_figures(
    ws: Workspace, run_id: int | None, out: Path | None, mails: Path | None, company: str | None,
    recipient: str | None = None,
) -> Figures | None:
    """The figures of a stored run (see :func:`imsrecon.workflow.stored_run` for which); None
    when the workspace has no run yet."""
    run = stored_run(ws, run_id, recipient)
    if run is None:
        return None
    run_id = int(run["id"])  # type: ignore[arg-type]
    result = ws.load_result(run_id)
    itc = itc_figures(result)
    found = Figures(run_id, itc["by_category"], itc["by_supplier"], supplier_followups(result))
    if out is not None:
        if out.suffix.lower() == ".csv":
            from imsrecon.exporters.sanitize import neutralise_frame

            neutralise_frame(found.followups).write_csv(out)
        else:
            from imsrecon.exporters.excel import write_tables_xlsx

            write_tables_xlsx(out, {"ITC by category": found.by_category, "ITC by supplier": found.by_supplier,
                                    "Follow up": found.followups})
        found.files.append(out)
    if mails is not None and found.followups.height:
        mails.mkdir(parents=True, exist_ok=True)
        recipient = result["recipient_gstin"].drop_nulls().first() or ""
        for (gstin,), rows in found.followups.group_by("supplier_gstin", maintain_order=True):
            path = mails / f"{re.sub(r'[^0-9A-Za-z]', '_', str(gstin))}.txt"
            path.write_text(followup_mail(rows, str(recipient), company), encoding="utf-8")
            found.files.append(path)
    return found
