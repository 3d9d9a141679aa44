"""The ITC-reduction declaration that goes with accepting a credit note (domain doc §4): decided
from the CLI and the workbook, checked with the upload's rules at decide time, stored and audited
with the decision, declared in full when a recommendation or suggestion accepts a credit note
that the books hold."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openpyxl
import polars as pl
import pytest
from sqlalchemy import inspect, text
from typer.testing import CliRunner

from imsrecon.cli.app import app
from imsrecon.decisions import Proposal, check, is_unchanged, rows_by_key
from imsrecon.exporters import excel
from imsrecon.result import conform_result
from imsrecon.store import dialect, migrations, schema
from imsrecon.store.workspace import Workspace
from imsrecon.workflow_decisions import Selection, decide, decide_recommended, read_decisions_xlsx

# key -> result columns (tax heads as IMS has them)
ROWS: dict[str, dict[str, Any]] = {
    "IMS/B2BCN/INTRA": {"match_status": "exact", "ims_section": "b2bcn", "ims_igst": 0.0, "ims_cgst": 45.0,
                        "ims_sgst": 45.0, "ims_cess": 0.0, "recommended_action": "Accept"},
    "IMS/B2BCN/INTER": {"match_status": "missing_in_pr", "ims_section": "b2bcn", "ims_igst": 180.0, "ims_cgst": 0.0,
                        "ims_sgst": 0.0, "ims_cess": 12.5, "recommended_action": "Reject"},
    "IMS/B2BCNA/DIFF": {"match_status": "mismatch", "ims_section": "b2bcna", "ims_igst": 0.0, "ims_cgst": 9.5,
                        "ims_sgst": 9.5, "ims_cess": 0.0, "recommended_action": "Accept"},
    "IMS/B2B/INV": {"match_status": "exact", "ims_section": "b2b", "ims_igst": 18.0, "ims_cgst": 0.0,
                    "ims_sgst": 0.0, "ims_cess": 0.0, "recommended_action": "Accept"},
    "IMS/B2BA/AMD": {"match_status": "exact", "ims_section": "b2ba", "ims_igst": 18.0, "ims_cgst": 0.0,
                     "ims_sgst": 0.0, "ims_cess": 0.0, "recommended_action": "Accept"},
}  # fmt: skip


def result_frame() -> pl.DataFrame:
    return conform_result(pl.DataFrame([{"matching_key": k, **v} for k, v in ROWS.items()]))


@pytest.fixture()
def rows() -> dict[str, dict[str, Any]]:
    return rows_by_key(result_frame())


@pytest.fixture()
def ws(tmp_path: Path):
    w = Workspace.open(tmp_path / "ws.db")
    w.record_run({"match": {}}, [], [], result_frame())
    yield w
    w.close()


A = (None, None, None, None)
# id -> (key, action, itc_reduction, (igst, cgst, sgst, cess), remarks, the record's block flag or "unknown",
#        the rules refused ([] = allowed))
CHECKS: dict[str, tuple[str, str, str | None, tuple, str | None, Any, list[str]]] = {
    "full": ("IMS/B2BCN/INTRA", "Accept", "full", A, None, "unknown", []),
    "full, any case": ("IMS/B2BCN/INTRA", "accept", " FULL ", A, None, "unknown", []),
    "full with remarks": ("IMS/B2BCN/INTRA", "Accept", "full", A, "reversed in March", "unknown", []),
    "partial": ("IMS/B2BCN/INTRA", "Accept", "partial", (None, 20, 20, None), "availed in part", "unknown", []),
    "partial, amounts as text": ("IMS/B2BCN/INTRA", "Accept", "Partial", (None, "20.00", "20", None), "part",
                                 "unknown", []),
    "partial at the tax": ("IMS/B2BCN/INTRA", "Accept", "partial", (0, 45, 45, 0), "all of it", "unknown", []),
    "partial, inter-state with cess": ("IMS/B2BCN/INTER", "Accept", "partial", (100, None, None, 12.5), "part",
                                       "unknown", []),
    "none": ("IMS/B2BCN/INTER", "Accept", "none", A, "ITC never availed", "unknown", []),
    "none, 'no reduction'": ("IMS/B2BCN/INTER", "Accept", "No reduction", A, "never availed", "unknown", []),
    "blank: no declaration": ("IMS/B2BCN/INTRA", "Accept", "", A, None, "unknown", []),
    "partial without remarks": ("IMS/B2BCN/INTRA", "Accept", "partial", (None, 20, 20, None), None, "unknown",
                                ["decl_without_remarks"]),
    "none without remarks": ("IMS/B2BCN/INTER", "Accept", "none", A, "  ", "unknown", ["decl_without_remarks"]),
    "with Reject": ("IMS/B2BCN/INTER", "Reject", "full", A, None, "unknown", ["itc_red_req_not_accept"]),
    "with Pending": ("IMS/B2BCN/INTER", "Pending", "none", A, "x", "unknown", ["itc_red_req_not_accept"]),
    "with No action": ("IMS/B2BCN/INTER", "No action", "full", A, None, "unknown", ["itc_red_req_not_accept"]),
    "on an invoice": ("IMS/B2B/INV", "Accept", "full", A, None, "unknown", ["itc_red_req_not_specified"]),
    "on an amendment, record not read": ("IMS/B2BA/AMD", "Accept", "full", A, None, "unknown", []),
    "on an amendment the portal marks": ("IMS/B2BA/AMD", "Accept", "full", A, None, "N", []),
    "on an amendment the portal does not mark": ("IMS/B2BA/AMD", "Accept", "full", A, None, None,
                                                 ["itc_red_req_not_specified"]),
    "on a record that blocks it": ("IMS/B2BCNA/DIFF", "Accept", "full", A, None, "Y", ["itc_red_req_blocked"]),
    "blocked, JSON true": ("IMS/B2BCNA/DIFF", "Accept", "full", A, None, "true", ["itc_red_req_blocked"]),
    "above the tax": ("IMS/B2BCN/INTRA", "Accept", "partial", (0, 45.01, 45.01, 0), "x", "unknown", ["decl_above_tax"]),
    "IGST on an intra-state note": ("IMS/B2BCN/INTRA", "Accept", "partial", (5, 20, 20, 0), "x", "unknown",
                                    ["decl_above_tax"]),
    "CGST differs from SGST": ("IMS/B2BCN/INTRA", "Accept", "partial", (0, 20, 19.99, 0), "x", "unknown",
                               ["decl_cgst_ne_sgst"]),
    "negative": ("IMS/B2BCN/INTER", "Accept", "partial", (-1, None, None, 0), "x", "unknown", ["decl_negative"]),
    "a head with tax unnamed": ("IMS/B2BCN/INTER", "Accept", "partial", (100, None, None, None), "x", "unknown",
                                ["decl_partial_heads_missing"]),
    "partial without amounts": ("IMS/B2BCN/INTRA", "Accept", "partial", A, "x", "unknown",
                                ["decl_partial_heads_missing"]),
    "full with amounts": ("IMS/B2BCN/INTRA", "Accept", "full", (None, 10, 10, None), "x", "unknown",
                          ["decl_amounts_with_full"]),
    "none with amounts": ("IMS/B2BCN/INTER", "Accept", "none", (10, None, None, None), "x", "unknown",
                          ["decl_with_itc_red_req_n"]),
    "amounts without a reduction": ("IMS/B2BCN/INTRA", "Accept", None, (None, 10, 10, None), None, "unknown",
                                    ["decl_without_kind"]),
    "amounts with a blank reduction": ("IMS/B2BCN/INTRA", "Accept", "", (None, 10, 10, None), None, "unknown",
                                       ["decl_without_kind"]),
    "not a reduction": ("IMS/B2BCN/INTRA", "Accept", "half", A, None, "unknown", ["unknown_itc_reduction"]),
    "not a number": ("IMS/B2BCN/INTRA", "Accept", "partial", (0, "twenty", "twenty", 0), "x", "unknown",
                     ["decl_not_a_number", "decl_partial_heads_missing"]),
    "remarks on a plain accept": ("IMS/B2BCN/INTRA", "Accept", None, A, "checked", "unknown", ["remarks_not_allowed"]),
}  # fmt: skip


@pytest.mark.parametrize("case", CHECKS)
def test_declaration_checks_at_decide_time(rows, case: str) -> None:
    key, action, itc, amounts, remarks, flag, expected = CHECKS[case]
    row = dict(rows[key]) | ({} if flag == "unknown" else {"is_itc_red_req_blocked": flag})
    problems = check(Proposal(key, action, remarks, sheet="Exact", row=3, itc_reduction=itc, amounts=amounts), row)
    assert [p.rule for p in problems] == expected, [p.reason for p in problems]
    for p in problems:  # every refusal names its place and says what to do
        assert str(p).startswith(f"[Exact] row 3, key {key}: ") and len(p.reason) > 30


def test_messages_name_the_options_to_use(rows) -> None:
    [p] = check(Proposal("IMS/B2BCN/INTER", "Accept", "x", itc_reduction="partial", amounts=(100, None, None, None)),
                rows["IMS/B2BCN/INTER"])
    assert "--reduce-cess (tax 12.50)" in p.reason and "reduce_" in p.reason and "--reduce-igst" not in p.reason


def _latest(ws: Workspace) -> dict[str, dict[str, Any]]:
    return {r["matching_key"]: r for r in ws.latest_decisions().iter_rows(named=True)}


def _declared(r: dict[str, Any]) -> tuple:
    return r["itc_red_req"], r["decl_igst"], r["decl_cgst"], r["decl_sgst"], r["decl_cess"]


def test_declarations_are_stored_and_audited(ws) -> None:
    out = decide(ws, Selection(keys=("IMS/B2BCN/INTRA",)), "Accept", "availed in part", itc_reduction="partial",
                 amounts=(None, 20.004, 20.004, None))
    assert out.applied == 1 and out.undeclared == 0
    decide(ws, Selection(keys=("IMS/B2BCN/INTER",)), "Accept", "never availed", itc_reduction="none")
    decide(ws, Selection(keys=("IMS/B2BCNA/DIFF",)), "Accept", itc_reduction="full")
    latest = _latest(ws)
    # heads without tax are declared 0; amounts kept at paise
    assert _declared(latest["IMS/B2BCN/INTRA"]) == ("Y", 0.0, 20.0, 20.0, 0.0)
    assert _declared(latest["IMS/B2BCN/INTER"]) == ("N", None, None, None, None)
    assert _declared(latest["IMS/B2BCNA/DIFF"]) == ("Y", None, None, None, None)
    # back to Reject: the declaration goes with it
    decide(ws, Selection(keys=("IMS/B2BCN/INTRA",)), "Reject", "wrong note")
    assert _declared(_latest(ws)["IMS/B2BCN/INTRA"]) == (None,) * 5
    log = [json.loads(v) if v else None for v in ws.audit_log().filter(pl.col("event") == "decision")["new_value"]]
    assert [(e["itc_red_req"], e["decl_cgst"]) for e in log] == [("Y", 20.0), ("N", None), ("Y", None), (None, None)]
    old = json.loads(ws.audit_log().filter(pl.col("event") == "decision")["old_value"][-1])
    assert (old["action"], old["itc_red_req"], old["decl_sgst"]) == ("Accept", "Y", 20.0)


def test_an_accepted_credit_note_without_a_declaration_is_counted(ws) -> None:
    out = decide(ws, Selection(keys=("IMS/B2BCN/INTRA", "IMS/B2BCN/INTER", "IMS/B2B/INV")), "Accept")
    assert (out.applied, out.undeclared) == (3, 2)


# (stored declaration, proposal: itc_reduction and amounts) -> unchanged?
UNCHANGED = [
    (("Y", None, None, None, None), None, A, True),  # not given: the stored one stays
    (("Y", None, None, None, None), "full", A, True),
    (("Y", None, None, None, None), "", A, False),  # cleared
    (("Y", None, None, None, None), "none", A, False),
    (("Y", 0.0, 20.0, 20.0, 0.0), "partial", (0, 20, 20, 0), True),
    (("Y", 0.0, 20.0, 20.0, 0.0), "partial", (0, 20.001, 20.001, 0), True),  # within a paisa
    (("Y", 0.0, 20.0, 20.0, 0.0), "partial", (0, 21, 21, 0), False),
    ((None, None, None, None, None), "", A, True),
]


@pytest.mark.parametrize(("stored", "itc", "amounts", "expected"), UNCHANGED)
def test_is_unchanged_compares_a_given_declaration(stored, itc, amounts, expected) -> None:
    from imsrecon.decisions import declaration

    latest = {"action": "Accept", "remarks": "r", **dict(zip(("itc_red_req", "decl_igst", "decl_cgst", "decl_sgst",
                                                                "decl_cess"), stored, strict=True))}  # fmt: skip
    p = Proposal("K", "Accept", "r", itc_reduction=itc, amounts=amounts)
    assert is_unchanged(p, latest, declaration(p, ROWS["IMS/B2BCN/INTRA"])) is expected


def test_all_recommended_declares_the_reduction_in_full_on_a_credit_note_the_books_hold(ws) -> None:
    out = decide_recommended(ws)
    assert out.refused == 0 and out.applied == 5
    latest = _latest(ws)
    assert _declared(latest["IMS/B2BCN/INTRA"]) == ("Y", None, None, None, None)  # exact
    assert _declared(latest["IMS/B2BCNA/DIFF"]) == ("Y", None, None, None, None)  # mismatch: books hold it
    assert latest["IMS/B2BCN/INTER"]["action"] == "Reject" and latest["IMS/B2BCN/INTER"]["itc_red_req"] is None
    assert latest["IMS/B2B/INV"]["itc_red_req"] is None  # an invoice: nothing to declare
    reasons = dict(ws.audit_log().filter(pl.col("event") == "decision").select("entity_key", "reason").iter_rows())
    assert reasons["IMS/B2BCN/INTRA"].endswith("the ITC reduction declared in full")
    assert decide_recommended(ws).unchanged == 5  # again: nothing new


# --- the workbook round trip --------------------------------------------------------------------

runner = CliRunner()
R = "27AAPFU0939F1ZV"
S = "27AAACR5055K1Z7"


def _credit_note_workspace(tmp: Path) -> tuple[Path, Path, dict[str, str]]:
    """Three credit notes (two booked, as a Busy-style register with negative amounts) reconciled;
    the report workbook written."""
    def note(no: str, tv: float) -> dict[str, Any]:
        return {"stin": S, "nt_num": no, "nt_dt": "05-11-2025", "val": round(tv * 1.18, 2), "pos": "27", "txval": tv,
                "iamt": 0, "camt": round(tv * 0.09, 2), "samt": round(tv * 0.09, 2), "cess": 0, "action": "N",
                "ispendactblocked": "Y", "srcform": "R1", "rtnprd": "112025", "srcfilstatus": "Filed", "hash": no}
    (tmp / "ims.json").write_text(json.dumps({"data": {"b2bcn": [note("CN/25-26/101", 1000.0),
                                                                 note("CN/25-26/102", 2500.0),
                                                                 note("CN/25-26/103", 300.0)]}}))
    (tmp / "pr.csv").write_text(
        "Date,Particulars,GSTIN/UIN,Voucher Type,Supplier Invoice No.,Supplier Invoice Date,Taxable Value,CGST,SGST\n"
        f"06-11-2025,Ramesh Traders,{S},Debit Note,CN-25-26-101,05-11-2025,-1000.00,-90.00,-90.00\n"
        f"07-11-2025,Ramesh Traders,{S},Debit Note,cn/25-26/102,05-11-2025,\"-2,500.00\",-225,-225\n")
    db, recon = tmp / "ws.db", tmp / "recon.xlsx"
    done = runner.invoke(app, ["reconcile", "--ims", str(tmp / "ims.json"), "--pr", str(tmp / "pr.csv"), "--gstin", R,
                               "--db", str(db), "--out", str(recon)])
    assert done.exit_code == 0, done.output
    with Workspace.open(db) as w:
        res = w.load_result().filter(pl.col("ims_doc_no").is_not_null())
    return db, recon, dict(zip(res["ims_doc_no"], res["matching_key"], strict=True))


def _sheet(path: Path) -> tuple[openpyxl.Workbook, dict[str, tuple[str, int]], list[str]]:
    wb = openpyxl.load_workbook(path)
    where, header = {}, []
    for ws in wb.worksheets:
        if "matching_key" in [c.value for c in ws[1]]:  # a category sheet: all have the same header
            header = [c.value for c in ws[1]]
            for cells in ws.iter_rows(min_row=2):
                where[cells[header.index("ims_doc_no")].value] = (ws.title, cells[0].row)
    return wb, where, header


def test_the_workbook_carries_and_reads_back_the_declaration(tmp_path: Path) -> None:
    db, recon, keys = _credit_note_workspace(tmp_path)
    wb, where, header = _sheet(recon)
    cols = header[header.index("decision"):header.index("suggested_decision")]
    assert cols == ["decision", "remarks", "itc_reduction", "reduce_igst", "reduce_cgst", "reduce_sgst", "reduce_cess"]
    sheet = wb[where["CN/25-26/101"][0]]
    letter = openpyxl.utils.get_column_letter(header.index("itc_reduction") + 1)
    dropdowns = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in sheet.data_validations.dataValidation}
    assert dropdowns[f"{letter}2"] == '"Full,Partial,None"'

    def put(doc_no: str, **values: Any) -> None:
        name, r = where[doc_no]
        for col, value in values.items():
            wb[name].cell(r, header.index(col) + 1).value = value

    put("CN/25-26/101", decision="Accept", itc_reduction="Partial", reduce_cgst=40, reduce_sgst=40,
        remarks="-ITC availed in part-")
    put("CN/25-26/102", decision="Accept", itc_reduction="None", remarks="never availed")
    put("CN/25-26/103", decision="Accept", itc_reduction="Full", reduce_igst="ten")  # refused: two problems
    wb.save(tmp_path / "edited.xlsx")
    out = runner.invoke(app, ["decide", "--from", str(tmp_path / "edited.xlsx"), "--db", str(db)])
    assert out.exit_code == 1
    r103 = where["CN/25-26/103"][1]
    assert f"row {r103}, key {keys['CN/25-26/103']}: declared amounts must be numbers" in out.output
    put("CN/25-26/103", reduce_igst=10)
    wb.save(tmp_path / "edited.xlsx")
    out = runner.invoke(app, ["decide", "--from", str(tmp_path / "edited.xlsx"), "--db", str(db)])
    assert out.exit_code == 1 and f"row {r103}, key {keys['CN/25-26/103']}: a full ITC reduction takes no amounts" in out.output
    put("CN/25-26/103", reduce_igst=None)
    wb.save(tmp_path / "edited.xlsx")
    out = runner.invoke(app, ["decide", "--from", str(tmp_path / "edited.xlsx"), "--db", str(db), "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["applied"] == 3
    with Workspace.open(db) as w:
        latest = _latest(w)
    got = {d: _declared(latest[k]) for d, k in keys.items()}
    assert got == {"CN/25-26/101": ("Y", 0.0, 40.0, 40.0, 0.0), "CN/25-26/102": ("N", None, None, None, None),
                   "CN/25-26/103": ("Y", None, None, None, None)}
    assert latest[keys["CN/25-26/101"]]["remarks"] == "-ITC availed in part-"

    # the report written again is pre-filled with the stored declarations; read back, it changes nothing
    again = tmp_path / "again.xlsx"
    assert runner.invoke(app, ["report", "--out", str(again), "--db", str(db)]).exit_code == 0
    wb2, where2, header2 = _sheet(again)
    shown = {d: tuple(wb2[where2[d][0]].cell(where2[d][1], header2.index(c) + 1).value
                      for c in ("itc_reduction", "reduce_igst", "reduce_cgst", "reduce_sgst", "reduce_cess"))
             for d in keys}  # fmt: skip
    assert shown == {"CN/25-26/101": ("Partial", 0, 40, 40, 0), "CN/25-26/102": ("None", None, None, None, None),
                     "CN/25-26/103": ("Full", None, None, None, None)}
    out = runner.invoke(app, ["decide", "--from", str(again), "--db", str(db), "--json"])
    assert (json.loads(out.output)["applied"], json.loads(out.output)["unchanged"]) == (0, 3)

    # clearing the cells of a row clears its declaration (the decision itself stays Accept)
    wb2[where2["CN/25-26/103"][0]].cell(where2["CN/25-26/103"][1], header2.index("itc_reduction") + 1).value = None
    wb2.save(tmp_path / "cleared.xlsx")
    out = runner.invoke(app, ["decide", "--from", str(tmp_path / "cleared.xlsx"), "--db", str(db), "--json"])
    summary = json.loads(out.output)
    assert (summary["applied"], summary["undeclared"]) == (1, 1)


def test_a_workbook_written_before_the_declaration_columns_is_read(tmp_path: Path) -> None:
    db, recon, keys = _credit_note_workspace(tmp_path)
    assert runner.invoke(app, ["decide", keys["CN/25-26/101"], "--action", "accept", "--itc-reduction", "full",
                               "--db", str(db)]).exit_code == 0
    wb, where, header = _sheet(recon)
    for name in wb.sheetnames:  # the layout before: no declaration columns
        sheet = wb[name]
        head = [c.value for c in sheet[1]]
        for col in sorted((head.index(c) + 1 for c in ("itc_reduction", *excel.REDUCE_COLUMNS) if c in head),
                          reverse=True):  # fmt: skip
            sheet.delete_cols(col)
    name, r = where["CN/25-26/101"]
    wb[name].cell(r, [c.value for c in wb[name][1]].index("decision") + 1, "Accept")
    name, r = where["CN/25-26/103"]
    wb[name].cell(r, [c.value for c in wb[name][1]].index("decision") + 1, "Reject")
    wb.save(tmp_path / "old.xlsx")
    proposals, _ = read_decisions_xlsx(tmp_path / "old.xlsx")
    assert {p.itc_reduction for p in proposals} == {None}  # not given
    out = runner.invoke(app, ["decide", "--from", str(tmp_path / "old.xlsx"), "--db", str(db), "--json"])
    summary = json.loads(out.output)
    assert out.exit_code == 0 and (summary["applied"], summary["unchanged"]) == (1, 1)
    with Workspace.open(db) as w:
        latest = _latest(w)
    assert _declared(latest[keys["CN/25-26/101"]]) == ("Y", None, None, None, None)  # kept
    assert latest[keys["CN/25-26/103"]]["action"] == "Reject"


def test_the_decide_command_declares(tmp_path: Path) -> None:
    db, _, keys = _credit_note_workspace(tmp_path)
    k = keys["CN/25-26/101"]

    def decide_cli(*args: str) -> Any:
        return runner.invoke(app, ["decide", k, *args, "--db", str(db)])

    out = decide_cli("--action", "accept", "--itc-reduction", "partial", "--reduce-cgst", "40", "--remarks", "part")
    assert out.exit_code == 1 and "--reduce-sgst (tax 90.00)" in out.output
    out = decide_cli("--action", "accept", "--itc-reduction", "partial", "--reduce-cgst", "40", "--reduce-sgst", "40",
                     "--remarks", "part")
    assert out.exit_code == 0 and "applied 1" in out.output
    assert decide_cli("--action", "accept", "--itc-reduction", "none").exit_code == 1  # remarks needed
    assert decide_cli("--action", "reject", "--itc-reduction", "full").exit_code == 1
    for usage in (["--action", "accept", "--reduce-cgst", "4"],  # amounts without partial
                  ["--action", "accept", "--itc-reduction", "full", "--reduce-cgst", "4"],
                  ["--all-recommended", "--itc-reduction", "full"],
                  ["--action", "accept", "--itc-reduction", "half"],
                  ["--action", "accept", "--itc-reduction", "partial", "--reduce-cgst", "-1"]):  # fmt: skip
        assert decide_cli(*usage).exit_code == 2, usage
    out = decide_cli("--action", "accept")
    assert "unchanged 1" in out.output  # the declaration not given: the stored one stays
    out = runner.invoke(app, ["decide", keys["CN/25-26/103"], "--action", "accept", "--db", str(db)])
    assert "1 accepted credit notes have no ITC-reduction declaration" in out.output
    help_text = runner.invoke(app, ["decide", "--help"]).output
    assert "--itc-reduction" in help_text and "--reduce-cgst" in help_text


def test_migration_6_adds_the_declaration_to_existing_decisions(tmp_path: Path) -> None:
    engine = dialect.make_engine(dialect.resolve_url(tmp_path / "old.db"))
    assert migrations.migrate(engine, target=5) == 5
    old = {"id", "matching_key", "action", "remarks", "decided_by", "decided_at", "source", "run_id"}
    with engine.begin() as conn:  # as version 5 made the tables
        for name in ("itc_red_req", "decl_igst", "decl_cgst", "decl_sgst", "decl_cess"):
            conn.execute(text(f"ALTER TABLE decisions DROP COLUMN {name}"))
        conn.execute(text("ALTER TABLE upload_items DROP COLUMN status_at"))
        assert {c["name"] for c in inspect(conn).get_columns("decisions")} == old
        conn.execute(text("INSERT INTO decisions (matching_key, action, decided_at) "
                          "VALUES ('K1', 'Accept', '2025-01-01 00:00:00.000000')"))
    engine.dispose()
    with Workspace.open(tmp_path / "old.db") as w:
        with w._engine.connect() as conn:
            assert migrations.current_version(conn) == migrations.SCHEMA_VERSION >= 6
            assert {c["name"] for c in inspect(conn).get_columns("decisions")} == old | set(schema.DECLARATION_COLUMNS)
            assert "status_at" in {c["name"] for c in inspect(conn).get_columns("upload_items")}
        latest = _latest(w)
        assert latest["K1"]["action"] == "Accept" and latest["K1"]["itc_red_req"] is None
        w.record_decisions([("K1", "Accept", None, None, "Y")], "tester", "cli")
        assert _latest(w)["K1"]["itc_red_req"] == "Y"
