"""`imsrecon decide`: record decisions (Accept, Reject, Pending, No action) for IMS documents.

Registered on the app by importing this module (done at the end of :mod:`imsrecon.cli.app`).
Parses arguments, calls :mod:`imsrecon.workflow_decisions`, renders the outcome.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from imsrecon.cli import render
from imsrecon.cli.app import DbOption, JsonOption, RunGstinOption, _open, _user_errors, app, regular_files


class ActionChoice(StrEnum):
    accept = "accept"
    reject = "reject"
    pending = "pending"
    none = "none"


class ReductionChoice(StrEnum):
    full = "full"
    partial = "partial"
    none = "none"


_WORDS = {"accept": "Accept", "reject": "Reject", "pending": "Pending", "none": "No action"}


def _head(name: str) -> object:
    return typer.Option(f"--reduce-{name}", min=0, show_default=False,
                        help=f"With --itc-reduction partial: the {name.upper()} ITC reduced (₹).")  # fmt: skip


@app.command()
def decide(
    keys: Annotated[list[str] | None, typer.Argument(
        help="Matching keys of the documents to decide (as in the report's matching_key column).",
        metavar="KEY", show_default=False)] = None,
    action: Annotated[ActionChoice | None, typer.Option(
        "--action", case_sensitive=False, show_default=False,
        help="The decision: accept, reject, pending, or none (No action: back to N on the portal).")] = None,
    remarks: Annotated[str | None, typer.Option(
        "--remarks", help="Remarks kept with the decision (checked against the portal's length limit); needed "
        "with a partial or no ITC reduction.", show_default=False)] = None,
    itc_reduction: Annotated[ReductionChoice | None, typer.Option(
        "--itc-reduction", case_sensitive=False, show_default=False,
        help="With --action accept on a credit note: the ITC-reduction declaration the portal needs "
        "(itcRedReq): full (all its tax), partial (the amounts of --reduce-igst/-cgst/-sgst/-cess: name every "
        "head with tax; CGST = SGST; needs --remarks) or none (ITC never availed or already reversed; needs "
        "--remarks).")] = None,
    reduce_igst: Annotated[float | None, _head("igst")] = None,
    reduce_cgst: Annotated[float | None, _head("cgst")] = None,
    reduce_sgst: Annotated[float | None, _head("sgst")] = None,
    reduce_cess: Annotated[float | None, _head("cess")] = None,
    status: Annotated[str | None, typer.Option(
        "--status", help="Decide every document with this match status (exact, probable, mismatch, "
        "missing_in_pr, …).", show_default=False)] = None,
    supplier: Annotated[str | None, typer.Option(
        "--supplier", help="Decide every IMS document of this supplier GSTIN.", show_default=False)] = None,
    section: Annotated[str | None, typer.Option(
        "--section", help="Decide every IMS document of this section (b2b, b2bcn, impg, …).",
        show_default=False)] = None,
    all_recommended: Annotated[bool, typer.Option(
        "--all-recommended", help="Make each document's recommended action its decision, where there is "
        "one (all documents, or those chosen by KEYs or the filters).")] = False,
    suggested: Annotated[bool, typer.Option(
        "--suggested", help="Use what you decided before for documents like these (same supplier, match "
        "status and differences, decided alike at least twice). Lists the suggestions; add --yes to apply "
        "them.")] = False,
    yes: Annotated[bool, typer.Option("--yes", help="With --suggested: apply the suggestions.")] = False,
    from_xlsx: Annotated[Path | None, typer.Option(
        "--from", help="Read the decision and remarks columns of a report workbook written by "
        "`imsrecon report --out FILE.xlsx` (rows with an empty decision are left out).",
        exists=True, dir_okay=False, show_default=False, callback=regular_files)] = None,
    partial: Annotated[bool, typer.Option(
        "--partial", help="Apply the valid decisions even when others are refused (by default "
        "nothing is applied when any is refused).")] = False,
    by: Annotated[str | None, typer.Option(
        "--by", help="Who decides (kept with each decision and in the audit log). Default: $USER.",
        show_default=False)] = None,
    run: Annotated[int | None, typer.Option(
        "--run", help="Check the decisions against this run; the latest run if left out.",
        show_default=False)] = None,
    gstin: RunGstinOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record decisions for IMS documents, kept apart from the recommendations and audited (old
    and new decision). Every decision is checked first (known key, an IMS document, no Pending
    where Pending is blocked, no Reject on import of goods, remarks length, the ITC-reduction
    declaration: only with Accept of a credit note, amounts within its tax, CGST = SGST); when any
    is refused, nothing is applied unless --partial. A decision equal to the latest one is not
    recorded again. --all-recommended and --suggested declare the reduction in full on an accepted
    credit note that your books hold."""
    from imsrecon import workflow_decisions as wd

    sources = sum((action is not None, all_recommended, suggested, from_xlsx is not None))
    if sources != 1:
        render.fail("give exactly one of --action, --all-recommended, --suggested or --from", 2)
    if suggested and not yes:  # never applied without the user's confirmation
        with _user_errors():
            run_id, found = wd.suggestions(_open(db), wd.Selection(tuple(keys or ()), status, supplier, section), run,
                                             gstin)
        if as_json:
            render.print_json({"run_id": run_id, "suggestions": found.to_dicts()})
        else:
            for r in found.iter_rows(named=True):
                render.console.print(f"{r['matching_key']}: {r['suggested_action']} — {r['suggestion_reason']}",
                                     markup=False, soft_wrap=True)
            render.console.print(f"{found.height} suggestions; run again with --yes to apply them.")
        return
    selection = wd.Selection(tuple(keys or ()), status, supplier, section)
    if from_xlsx is not None and (selection.keys or selection.has_filter or remarks is not None):
        render.fail("--from reads keys, decisions and remarks from the workbook: no KEYs, filters or --remarks", 2)
    if all_recommended and remarks is not None:
        render.fail("--remarks goes with --action, not with --all-recommended", 2)
    amounts = (reduce_igst, reduce_cgst, reduce_sgst, reduce_cess)
    if (itc_reduction is not None or any(a is not None for a in amounts)) and action is None:
        render.fail("--itc-reduction and --reduce-… go with --action accept (in a workbook: the itc_reduction "
                    "and reduce_… columns)", 2)
    if any(a is not None for a in amounts) and itc_reduction is not ReductionChoice.partial:
        render.fail("--reduce-igst/-cgst/-sgst/-cess declare a partial reduction: add --itc-reduction partial", 2)
    with _user_errors():
        ws = _open(db)
        try:
            if from_xlsx is not None:
                outcome = wd.decide_from_xlsx(ws, from_xlsx, by=by, run_id=run, gstin=gstin, partial=partial)
            elif all_recommended:
                outcome = wd.decide_recommended(ws, selection, by=by, run_id=run, gstin=gstin, partial=partial)
            elif suggested:
                outcome = wd.decide_suggested(ws, selection, by=by, run_id=run, gstin=gstin, partial=partial)
            else:
                assert action is not None
                outcome = wd.decide(ws, selection, _WORDS[action.value], remarks, by=by, run_id=run, gstin=gstin,
                                    partial=partial, itc_reduction=itc_reduction and itc_reduction.value,
                                    amounts=amounts)  # fmt: skip
        except wd.DecisionUsageError as exc:
            render.fail(str(exc), 2)
    if as_json:
        render.print_json(outcome.summary())
    else:
        _print(outcome)
    if outcome.failed:
        render.fail(f"nothing applied: {outcome.refused} refused"
                    + ("" if partial else " (fix them, or use --partial to apply the valid ones)"))


def _print(outcome) -> None:  # noqa: ANN001 - a DecisionOutcome
    c = render.console
    c.print(f"Decisions against run {outcome.run_id} (by {outcome.decided_by}, from {outcome.source})",
            markup=False, soft_wrap=True)  # fmt: skip
    counts = [f"applied {outcome.applied}", f"unchanged {outcome.unchanged}", f"refused {outcome.refused}"]
    if outcome.held_back:
        counts.append(f"held back {outcome.held_back}")
    if outcome.skipped:
        counts.append(f"without a decision {outcome.skipped}")
    c.print(", ".join(counts), markup=False)
    if outcome.selected == 0:
        c.print("No document selected.", markup=False)
    for problem in outcome.problems:
        c.print(f"refused: {problem}", markup=False, soft_wrap=True, style="red")
    if outcome.undeclared:
        c.print(f"note: {outcome.undeclared} accepted credit notes have no ITC-reduction declaration: the upload "
                "refuses them (the portal needs itcRedReq) until you decide one with --itc-reduction "
                "full|partial|none", markup=False, soft_wrap=True, style="yellow")
