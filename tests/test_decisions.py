"""Decisions: the checks, the use cases (by key, by filter, all recommended; audited, all or
nothing) and the Excel round trip through the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openpyxl
import polars as pl
import pytest
from typer.testing import CliRunner

from imsrecon.cli.app import app
from imsrecon.decisions import DECISION_ACTIONS, Proposal, check, rows_by_key, validate
from imsrecon.demo.generator import generate
from imsrecon.exporters.upload import MAX_REMARKS
from imsrecon.issues import InputFileError
from imsrecon.result import RESULT_COLUMNS, conform_result
from imsrecon.store.workspace import Workspace
from imsrecon.workflow_decisions import (
    DecisionUsageError,
    Selection,
    decide,
    decide_recommended,
    read_decisions_xlsx,
)

RECIPIENT = "27AAPFU0939F1ZV"
SUPPLIER = "27XMFFB0636G1ZG"

# key -> (match_status, ims_section, ispendactblocked, recommended_action, supplier)
ROWS = {
    "IMS/B2B/OPEN": ("mismatch", "b2b", "N", "Pending", SUPPLIER),
    "IMS/B2B/BLOCKED": ("exact", "b2b", "Y", "Accept", SUPPLIER),
    "IMS/B2BCN/NOTE": ("missing_in_pr", "b2bcn", "N", "Pending", "29AAACB1234C1ZQ"),
    "IMS/IMPG/BOE": ("mismatch", "impg", "Y", "Accept", None),
    "IMS/IMPGSEZ/BOE": ("missing_in_pr", "impgsez", "N", "Pending", "29AAACS5678D1ZR"),
    "PR/INV/ONLY": ("missing_in_ims", None, None, "", None),
    "PR/INV/TWICE": ("duplicate", None, None, "", None),
}


def result_frame() -> pl.DataFrame:
    rows = [
        {"matching_key": k, "match_status": s, "ims_section": sec, "ims_ispendactblocked": blocked,
         "recommended_action": rec, "ims_supplier_gstin": gstin if sec else None,
         "pr_supplier_gstin": gstin, "recommendation_rule": f"rule_{s}"}
        for k, (s, sec, blocked, rec, gstin) in ROWS.items()
    ]  # fmt: skip
    return conform_result(pl.DataFrame(rows))


@pytest.fixture()
def rows() -> dict[str, dict[str, Any]]:
    return rows_by_key(result_frame())


@pytest.fixture()
def ws(tmp_path: Path):
    w = Workspace.open(tmp_path / "ws.db")
    w.record_run({"match": {}}, [], [], result_frame())
    yield w
    w.close()


# --- the checks, one refusal rule at a time ---------------------------------------------------

REFUSALS = [
    ("pending_blocked", "IMS/B2B/BLOCKED", "Pending", None, "ispendactblocked"),
    ("pending_blocked (any case)", "IMS/B2B/BLOCKED", "  pending ", None, "ispendactblocked"),
    ("reject_import_of_goods", "IMS/IMPG/BOE", "Reject", None, "import of goods"),
    ("reject_import_of_goods (sez)", "IMS/IMPGSEZ/BOE", "reject", "not ours", "import of goods"),
    ("register_only", "PR/INV/ONLY", "Accept", None, "register-only"),
    ("register_only", "PR/INV/TWICE", "No action", None, "register-only"),
    ("unknown_action", "IMS/B2B/OPEN", "Approve", None, "not one of Accept, Reject, Pending, No action"),
    ("unknown_action", "IMS/B2B/OPEN", "A", None, "not one of"),
    ("unknown_action", "IMS/B2B/OPEN", "", None, "not one of"),
    ("remarks_too_long", "IMS/B2B/OPEN", "Reject", "x" * (MAX_REMARKS + 1), f"more than {MAX_REMARKS}"),
    ("remarks_not_allowed", "IMS/B2B/OPEN", "Accept", "checked", "remarks go with Reject, Pending"),
    ("remarks_not_allowed", "IMS/B2B/OPEN", "No action", "undo", "remarks go with Reject, Pending"),
    ("unknown_key", "IMS/B2B/NOPE", "Accept", None, "no document with this matching key"),
    ("unknown_key", "", "Accept", None, "no matching key"),
]


@pytest.mark.parametrize(("rule", "key", "action", "remarks", "says"), REFUSALS,
                         ids=[f"{r[0]}:{r[1]}:{r[2]!r}"[:60] for r in REFUSALS])  # fmt: skip
def test_each_refusal_rule(rows, rule, key, action, remarks, says):
    p = Proposal(key, action, remarks, sheet="Exact", row=7)
    problems = check(p, rows.get(key))
    assert [x.rule for x in problems] == [rule.split(" ")[0]]
    (problem,) = problems
    assert says in problem.reason
    assert (problem.sheet, problem.row, problem.key) == ("Exact", 7, key)
    assert str(problem).startswith("[Exact] row 7, key ")


ALLOWED = [
    ("IMS/B2B/BLOCKED", "Accept", None),  # blocked: Accept and Reject stay allowed
    ("IMS/B2B/BLOCKED", "Accept", "   "),  # blank remarks are no remarks
    ("IMS/B2B/BLOCKED", "Reject", "short supply"),
    ("IMS/B2B/BLOCKED", "none", None),  # No action: back to N
    ("IMS/B2B/OPEN", "Pending", "x" * MAX_REMARKS),  # exactly the limit
    ("IMS/IMPG/BOE", "Accept", None),  # import of goods: Accept ...
    ("IMS/IMPGSEZ/BOE", "Pending", None),  # ... or Pending (when not blocked)
    ("IMS/B2BCN/NOTE", "REJECT", None),
]


@pytest.mark.parametrize(("key", "action", "remarks"), ALLOWED)
def test_what_the_rules_allow(rows, key, action, remarks):
    assert check(Proposal(key, action, remarks), rows[key]) == []


def test_several_failures_of_one_row_and_a_repeated_key(rows):
    problems = check(Proposal("IMS/B2B/BLOCKED", "Pending", "y" * 300), rows["IMS/B2B/BLOCKED"])
    assert {p.rule for p in problems} == {"pending_blocked", "remarks_too_long"}
    same = [Proposal("IMS/B2B/OPEN", "Reject", None, "Mismatch", 2), Proposal("IMS/B2B/OPEN", "reject", None)]
    assert validate(same, rows) == [[], []]  # given again alike: fine
    other = [Proposal("IMS/B2B/OPEN", "Reject", None, "Mismatch", 2), Proposal("IMS/B2B/OPEN", "Accept", None)]
    first, second = validate(other, rows)
    assert first == [] and [p.rule for p in second] == ["key_repeated"] and "[Mismatch] row 2" in second[0].reason


# --- applying: by key, by filter, all recommended ---------------------------------------------


def decision_entries(ws: Workspace) -> list[dict[str, Any]]:
    log = ws.audit_log().filter(pl.col("event") == "decision")
    return [
        {**r, "old": json.loads(r["old_value"]) if r["old_value"] else None, "new": json.loads(r["new_value"])}
        for r in log.iter_rows(named=True)
    ]


def test_by_key_records_and_audits_old_and_new(ws):
    first = decide(ws, Selection(keys=("IMS/B2B/OPEN",)), "Accept", by="asha")
    assert (first.applied, first.unchanged, first.refused, first.run_id) == (1, 0, 0, 1)
    second = decide(ws, Selection(keys=("IMS/B2B/OPEN",)), "Reject", "short supply", by="ravi")
    assert second.applied == 1
    latest = ws.latest_decisions().row(0, named=True)
    assert (latest["action"], latest["remarks"], latest["decided_by"], latest["source"], latest["run_id"]) == (
        "Reject", "short supply", "ravi", "cli", 1)
    log = decision_entries(ws)
    assert [e["entity_key"] for e in log] == ["IMS/B2B/OPEN"] * 2
    assert log[0]["old"] is None and log[0]["new"]["action"] == "Accept" and log[0]["actor"] == "asha"
    assert (log[1]["old"]["action"], log[1]["new"]["action"]) == ("Accept", "Reject")
    assert log[1]["new"]["remarks"] == "short supply" and log[1]["reason"] == "imsrecon decide by key"


def test_an_unchanged_decision_is_not_recorded_again(ws):
    decide(ws, Selection(keys=("IMS/B2B/OPEN",)), "Reject", "short supply")
    again = decide(ws, Selection(keys=("IMS/B2B/OPEN",)), "reject")  # same action, remarks not given
    alike = decide(ws, Selection(keys=("IMS/B2B/OPEN",)), "Reject", "short supply")
    assert (again.applied, again.unchanged, alike.applied, alike.unchanged) == (0, 1, 0, 1)
    assert len(decision_entries(ws)) == 1
    twice = decide(ws, Selection(keys=("IMS/B2BCN/NOTE", "IMS/B2BCN/NOTE")), "Accept")
    assert twice.applied == 1 and len(decision_entries(ws)) == 2
    new_remarks = decide(ws, Selection(keys=("IMS/B2B/OPEN",)), "Reject", "credit note awaited")
    assert new_remarks.applied == 1  # other remarks are a change


def test_nothing_applied_when_one_is_refused_unless_partial(ws):
    keys = ("IMS/B2B/OPEN", "IMS/B2B/BLOCKED", "IMS/B2BCN/NOTE")
    out = decide(ws, Selection(keys=keys), "Pending", by="asha")
    assert (out.applied, out.refused, out.held_back, out.failed) == (0, 1, 2, True)
    assert [(p.key, p.rule) for p in out.problems] == [("IMS/B2B/BLOCKED", "pending_blocked")]
    assert ws.latest_decisions().height == 0 and decision_entries(ws) == []
    out = decide(ws, Selection(keys=keys), "Pending", by="asha", partial=True)
    assert (out.applied, out.refused, out.failed) == (2, 1, False)
    assert sorted(ws.latest_decisions()["matching_key"]) == ["IMS/B2B/OPEN", "IMS/B2BCN/NOTE"]


def test_by_filter(ws):
    out = decide(ws, Selection(status="missing_in_pr"), "Pending", by="asha")
    assert out.applied == 2 and sorted(out.applied_keys) == ["IMS/B2BCN/NOTE", "IMS/IMPGSEZ/BOE"]
    out = decide(ws, Selection(supplier=SUPPLIER.lower()), "Accept")  # the IMS document's supplier
    assert sorted(out.applied_keys) == ["IMS/B2B/BLOCKED", "IMS/B2B/OPEN"]
    out = decide(ws, Selection(section="IMPG"), "Reject")  # import of goods: refused, nothing applied
    assert (out.applied, out.refused) == (0, 1) and out.problems[0].rule == "reject_import_of_goods"
    out = decide(ws, Selection(status="mismatch", section="impg"), "Pending")
    assert out.problems[0].rule == "pending_blocked" and out.applied == 0
    out = decide(ws, Selection(status="duplicate"), "Accept")
    assert out.problems[0].rule == "register_only"
    out = decide(ws, Selection(status="mismatch", supplier=SUPPLIER), "Pending", "awaiting a credit note")
    assert out.applied_keys == ["IMS/B2B/OPEN"]
    log = decision_entries(ws)
    assert [e["entity_key"] for e in log] == [
        "IMS/B2BCN/NOTE", "IMS/IMPGSEZ/BOE", "IMS/B2B/OPEN", "IMS/B2B/BLOCKED", "IMS/B2B/OPEN"]
    assert log[2]["reason"] == f"imsrecon decide by filter supplier={SUPPLIER.lower()}" and log[2]["old"] is None
    assert (log[4]["old"]["action"], log[4]["new"]["action"], log[4]["new"]["remarks"]) == (
        "Accept", "Pending", "awaiting a credit note")
    for bad in (Selection(status="matched"), Selection(section="b2x"), Selection(keys=("K",), status="exact")):
        with pytest.raises(DecisionUsageError):
            decide(ws, bad, "Accept")
    with pytest.raises(DecisionUsageError):
        decide(ws, Selection(), "Accept")  # every row needs --all-recommended or a filter


def test_all_recommended(ws):
    decide(ws, Selection(keys=("IMS/B2B/OPEN",)), "Pending")
    out = decide_recommended(ws, by="asha")
    # 5 IMS rows with a recommendation (IMS/B2B/OPEN's is already its decision), 2 register-only rows without
    assert (out.selected, out.applied, out.unchanged, out.skipped, out.refused) == (5, 4, 1, 2, 0)
    latest = dict(ws.latest_decisions().select("matching_key", "action").iter_rows())
    assert latest == {k: v[3] for k, v in ROWS.items() if v[3]}
    entries = {e["entity_key"]: e for e in decision_entries(ws)}
    assert entries["IMS/IMPG/BOE"]["reason"] == "recommended (rule_mismatch)"
    assert entries["IMS/IMPG/BOE"]["old"] is None and entries["IMS/IMPG/BOE"]["new"]["action"] == "Accept"
    assert decide_recommended(ws).applied == 0  # again: every one unchanged
    only = decide_recommended(ws, Selection(keys=("IMS/B2B/OPEN", "IMS/NOPE")))
    assert [p.rule for p in only.problems] == ["unknown_key"] and only.failed


# --- the Excel round trip through the command line --------------------------------------------

runner = CliRunner()


def cli(*args: Any) -> Any:
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def sheet_rows(path: Path) -> dict[str, list[dict[str, Any]]]:
    """Every category sheet's rows as dicts, with the row number Excel shows under "_row"."""
    wb = openpyxl.load_workbook(path)
    out = {}
    for sheet in wb.worksheets:
        header = [c.value for c in sheet[1]]
        if "matching_key" not in header:
            continue
        out[sheet.title] = [
            {"_row": cells[0].row, **dict(zip(header, (c.value for c in cells), strict=True))}
            for cells in sheet.iter_rows(min_row=2)
        ]
    return out


def edit(path: Path, out: Path, changes: dict[tuple[str, int], tuple[str | None, str | None]]) -> Path:
    """Set decision and remarks on (sheet, row) and save as ``out``."""
    wb = openpyxl.load_workbook(path)
    for (sheet, row), (decision, remarks) in changes.items():
        ws = wb[sheet]
        header = [c.value for c in ws[1]]
        ws.cell(row, header.index("decision") + 1, decision)
        ws.cell(row, header.index("remarks") + 1, remarks)
    wb.save(out)
    return out


@pytest.fixture()
def reconciled(tmp_path):
    data = generate(n_ims=60, seed=3)
    paths = data.write(tmp_path / "in", pr_format="csv")
    ims = json.loads(paths["ims"].read_text())
    ims["data"]["b2b"][0]["ispendactblocked"] = "Y"  # make sure one record has Pending blocked
    paths["ims"].write_text(json.dumps(ims))
    db = tmp_path / "ws.db"
    recon = tmp_path / "recon.xlsx"
    result = cli("reconcile", "--ims", paths["ims"], "--pr", paths["pr"], "--gstin", RECIPIENT,
                 "--db", db, "--out", recon, "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    return db, recon


def test_excel_round_trip(tmp_path, reconciled):
    db, recon = reconciled
    wb = openpyxl.load_workbook(recon)
    exact = wb["Exact"]
    header = [c.value for c in exact[1]]
    assert header[len(RESULT_COLUMNS):] == ["decision", "remarks", "itc_reduction", "reduce_igst", "reduce_cgst",
                                            "reduce_sgst", "reduce_cess", "suggested_decision", "suggestion_reason"]
    assert header[: len(RESULT_COLUMNS)] == RESULT_COLUMNS
    letter = openpyxl.utils.get_column_letter(header.index("decision") + 1)
    dropdowns = {str(dv.sqref): dv.formula1 for dv in exact.data_validations.dataValidation}
    assert dropdowns[f"{letter}2:{letter}{exact.max_row}"] == '"' + ",".join(DECISION_ACTIONS) + '"'
    assert "Kept out of matching" not in wb.sheetnames or "decision" not in [c.value for c in wb["Kept out of matching"][1]]

    sheets = sheet_rows(recon)
    assert all(r["decision"] is None and r["remarks"] is None for rows in sheets.values() for r in rows)
    blocked = next(r for r in sheets["Exact"] if r["ims_ispendactblocked"] == "Y")
    open_exact = next(r for r in sheets["Exact"] if r["ims_ispendactblocked"] == "N")
    mismatch = sheets["Mismatch"][0]
    good = {("Exact", open_exact["_row"]): ("Accept", None), ("Mismatch", mismatch["_row"]): ("Reject", "short supply")}
    broken = edit(recon, tmp_path / "broken.xlsx", {**good, ("Exact", blocked["_row"]): ("Pending", "wait")})

    out = cli("decide", "--from", broken, "--db", db, "--by", "asha")
    assert out.exit_code == 1
    assert f"[Exact] row {blocked['_row']}, key {blocked['matching_key']}: Pending is not allowed" in out.output
    assert "applied 0, unchanged 0, refused 1, held back 2" in out.output
    with Workspace.open(db) as ws:
        assert ws.latest_decisions().height == 0

    out = cli("decide", "--from", broken, "--db", db, "--by", "asha", "--partial", "--json")
    assert out.exit_code == 0, out.output
    summary = json.loads(out.output)
    assert (summary["applied"], summary["refused"], summary["source"]) == (2, 1, "xlsx")
    assert summary["problems"][0]["sheet"] == "Exact" and summary["problems"][0]["row"] == blocked["_row"]

    fixed = edit(broken, tmp_path / "fixed.xlsx", {("Exact", blocked["_row"]): ("Reject", "-ok, =checked")})
    out = cli("decide", "--from", fixed, "--db", db, "--by", "ravi")
    assert out.exit_code == 0, out.output
    assert "applied 1, unchanged 2, refused 0" in out.output
    with Workspace.open(db) as ws:
        latest = {r["matching_key"]: r for r in ws.latest_decisions().iter_rows(named=True)}
        log = ws.audit_log().filter(pl.col("event") == "decision")
    assert latest[mismatch["matching_key"]]["action"] == "Reject"
    assert latest[mismatch["matching_key"]]["remarks"] == "short supply"
    assert (latest[blocked["matching_key"]]["decided_by"], latest[blocked["matching_key"]]["source"]) == ("ravi", "xlsx")
    assert log["reason"][-1] == f"fixed.xlsx [Exact] row {blocked['_row']}"
    assert latest[blocked["matching_key"]]["remarks"] == "-ok, =checked"

    # the report written from the workspace carries the stored decisions, neutralised text undone on reading
    again = tmp_path / "again.xlsx"
    assert cli("report", "--out", again, "--db", db).exit_code == 0
    prefilled = {r["matching_key"]: (r["decision"], r["remarks"]) for rows in sheet_rows(again).values() for r in rows}
    assert prefilled[blocked["matching_key"]] == ("Reject", "'-ok, =checked")  # written neutralised
    assert prefilled[mismatch["matching_key"]] == ("Reject", "short supply")
    proposals, blank = read_decisions_xlsx(again)
    assert {p.key: p.remarks for p in proposals}[blocked["matching_key"]] == "-ok, =checked"
    assert len(proposals) == 3 and blank == sum(len(rows) for rows in sheet_rows(again).values()) - 3
    out = cli("decide", "--from", again, "--db", db)
    assert out.exit_code == 0 and "applied 0, unchanged 3, refused 0" in out.output

    # the CSV contract is untouched
    csv = tmp_path / "again.csv"
    assert cli("report", "--out", csv, "--db", db).exit_code == 0
    assert pl.read_csv(csv, infer_schema=False).columns == RESULT_COLUMNS


def test_decide_command(reconciled):
    db, recon = reconciled
    blocked = next(r for r in sheet_rows(recon)["Exact"] if r["ims_ispendactblocked"] == "Y")["matching_key"]
    out = cli("decide", blocked, "--action", "pending", "--db", db)
    assert out.exit_code == 1 and "refused 1" in out.output and "ispendactblocked" in out.output
    out = cli("decide", blocked, "--action", "none", "--remarks", "recheck", "--db", db, "--by", "asha")
    assert out.exit_code == 1 and "remarks go with Reject, Pending" in out.output
    out = cli("decide", blocked, "--action", "reject", "--remarks", "recheck", "--db", db, "--by", "asha")
    assert out.exit_code == 0 and "applied 1" in out.output
    out = cli("decide", blocked, "--action", "none", "--db", db, "--by", "asha")
    assert out.exit_code == 0 and "applied 1" in out.output
    out = cli("decide", blocked, "--action", "NONE", "--db", db)
    assert out.exit_code == 0 and "applied 0, unchanged 1" in out.output
    out = cli("decide", "--status", "missing_in_ims", "--action", "accept", "--db", db)
    assert out.exit_code == 1 and "register-only" in out.output
    out = cli("decide", "--all-recommended", "--status", "exact", "--db", db, "--json")
    summary = json.loads(out.output)
    assert out.exit_code == 0 and summary["applied"] == summary["selected"] > 0 and summary["refused"] == 0
    for bad in (["--action", "accept"], [blocked], [blocked, "--action", "accept", "--all-recommended"],
                ["--from", recon, blocked], ["--all-recommended", "--remarks", "x"], [blocked, "--action", "maybe"]):
        assert cli("decide", *bad, "--db", db).exit_code == 2, bad
    with Workspace.open(db) as ws:
        assert ws.latest_decisions().filter(pl.col("matching_key") == blocked)["action"].item() == "Accept"
    assert "--all-recommended" in cli("decide", "--help").output


def test_from_a_workbook_that_is_not_a_report(tmp_path, ws):
    wb = openpyxl.Workbook()
    wb.active.title = "Sheet"
    wb.save(tmp_path / "other.xlsx")
    with pytest.raises(InputFileError, match="no category sheet"):
        read_decisions_xlsx(tmp_path / "other.xlsx")
    wb.active.title = "Exact"
    wb.active.append(["matching_key", "recommended_action"])  # written before the decision columns
    wb.save(tmp_path / "old.xlsx")
    with pytest.raises(InputFileError, match="'Exact' has no header row with 'matching_key' and 'decision'"):
        read_decisions_xlsx(tmp_path / "old.xlsx")
    (tmp_path / "bad.xlsx").write_bytes(b"not a workbook")
    with pytest.raises(InputFileError, match="not a workbook"):
        read_decisions_xlsx(tmp_path / "bad.xlsx")
    wb = openpyxl.Workbook()
    wb.active.title = "Mismatch (2)"
    wb.active.append(["note"])  # the header needs not be on the first row
    wb.active.append(["decision", None, "matching_key", "remarks"])
    wb.active.append(["Reject", None, "IMS/B2B/OPEN", "short"])
    wb.active.append([None, None, "IMS/B2B/BLOCKED", None])
    wb.active.append(["pending", None, "IMS/B2B/BLOCKED", None])
    wb.save(tmp_path / "mine.xlsx")
    proposals, blank = read_decisions_xlsx(tmp_path / "mine.xlsx")
    assert [(p.sheet, p.row, p.key, p.action, p.remarks) for p in proposals] == [
        ("Mismatch (2)", 3, "IMS/B2B/OPEN", "Reject", "short"), ("Mismatch (2)", 5, "IMS/B2B/BLOCKED", "pending", "")]
    assert blank == 1
