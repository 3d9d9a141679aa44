"""`imsrecon reconcile`: parses arguments, calls imsrecon.workflow.run_reconciliation, renders
the answer. Registered on the app by importing this module (done at the end of :mod:`.app`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from imsrecon.cli import render
from imsrecon.cli.app import (
    DbOption,
    GstinOption,
    JsonOption,
    MappingOption,
    _open,
    _options,
    _user_errors,
    app,
    regular_files,
)
from imsrecon.config import FilingConfig, MatchConfig


def _books_period(value: str | None) -> str | None:
    """Typer callback: --period checked (MMYYYY or MMYYYY:MMYYYY, in order); exit 2 otherwise."""
    if value is None:
        return None
    from imsrecon.books_period import BooksPeriod

    try:
        return str(BooksPeriod.parse(value))
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None



@app.command()
def reconcile(
    pr: Annotated[list[Path], typer.Option("--pr", help="Purchase register (.csv, .xlsx, .xls); repeat "
                                           "for several.", exists=True, dir_okay=False,
                                           callback=regular_files)],
    ims: Annotated[list[Path] | None, typer.Option("--ims", help="IMS download (portal JSON, offline-tool JSON "
                                                   "or Excel), GSTR-2B (JSON or the portal's Excel) or GSTR-2A JSON; repeat for several (a document "
                                                   "that several hold counts once).", exists=True, dir_okay=False,
                                                   callback=regular_files, show_default=False)] = None,
    no_ims: Annotated[bool, typer.Option("--no-ims", help="A month with books alone (no IMS download): every "
                                         "register row is missing in IMS.")] = False,
    period: Annotated[str | None, typer.Option("--period", metavar="MMYYYY[:MMYYYY]", help="The register's "
                                               "return period(s): register rows of other tax periods that IMS "
                                               "does not hold are reported apart (other_period), not as missing "
                                               "in IMS; they still pair with documents reported late.",
                                               show_default=False, callback=_books_period)] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write the result here: .csv, .json or .xlsx.",
                                                show_default=False)] = None,
    gstin: GstinOption = None,
    mapping: MappingOption = None,
    config: Annotated[Path | None, typer.Option("--config", help="Settings file (TOML): \\[match], "
                                                "\\[recommend], \\[decisions] and \\[filing] (monthly or "
                                                "quarterly GSTR-3B, per GSTIN) tables.",
                                                   exists=True, dir_okay=False, show_default=False,
                                                   callback=regular_files)] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Import (files seen before for the same recipient are reused), reconcile IMS with the
    register, store the run, and write the result."""
    from imsrecon.books_period import BooksPeriod
    from imsrecon.workflow import run_reconciliation

    if out is not None and out.suffix.lower() not in (".csv", ".json", ".xlsx"):
        render.fail("--out must end in .csv, .json or .xlsx", 2)
    if bool(ims) == no_ims:
        render.fail("give --ims FILE (an IMS, GSTR-2B or GSTR-2A download; repeat for several) or, for a month with "
                    "books alone, --no-ims" if not ims else "--no-ims and --ims exclude each other", 2)
    with _user_errors():
        match_config = MatchConfig.load(config) if config else MatchConfig()
        overrides = MatchConfig.recommend_table(config) if config else {}
        decision_settings = MatchConfig.decisions_table(config) if config else {}
        filing = FilingConfig.load(config) if config else FilingConfig()
        ws = _open(db)
        with render.progress(not as_json) as step:
            outcome = run_reconciliation(ws, ims or [], pr, _options(gstin, mapping), match_config, out, step,
                                         overrides, decision_settings, BooksPeriod.parse(period) if period else None,
                                         filing)
    summary = outcome.summary()
    if as_json:
        render.print_json(summary)
        return
    render.print_import_table(summary["files"])  # type: ignore[arg-type]
    title = f"Reconciliation run {outcome.run_id}" if outcome.run_id else "Reconciliation (not kept: --db :memory:)"
    render.console.print(render.counts_table(summary["counts"], title))  # type: ignore[arg-type]
    render.print_notes(outcome.notes, outcome.warnings)
    apart = summary["counts"].get("other_period", 0)  # type: ignore[union-attr]
    if apart:
        render.console.print(f"{apart:,} register rows booked outside --period {period} are reported apart "
                             "(Other periods), not as missing in IMS.", soft_wrap=True)
    if outcome.suggestions_applied is not None:
        render.console.print(f"{outcome.suggestions_applied} suggestions from your earlier decisions applied "
                             "([decisions] apply_suggestions = true in the settings file).", markup=False)
    if outcome.reconciliation.reverse_charge.height:
        render.console.print(f"{outcome.reconciliation.reverse_charge.height} register rows under reverse charge or "
                             "from unregistered suppliers "
                             "kept out of IMS matching (listed in the Excel report).", soft_wrap=True)
    errors = sum(int(f.get("errors", 0) or 0) for f in summary["files"])  # type: ignore[union-attr]
    if errors:
        render.say(f"{errors} row errors:", "red", "see `imsrecon import FILE --issues-out issues.csv`")
    if out:
        render.console.print(f"Result written to {out}")
