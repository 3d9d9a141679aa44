"""End-to-end tests of the `imsrecon` command line on real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from python_calamine import CalamineWorkbook
from typer.testing import CliRunner

from imsrecon import __version__
from imsrecon.cli.app import app
from imsrecon.demo.generator import generate
from imsrecon.result import CONTRACT_COLUMNS, STATUS_ORDER

DATA = Path(__file__).parent / "data"
IMS = DATA / "ims" / "ims_portal.json"
TALLY_XLSX = DATA / "registers" / "tally_title_rows.xlsx"
RECIPIENT = "27AAPFU0939F1ZV"
runner = CliRunner()


def cli(*args: str) -> object:
    result = runner.invoke(app, [str(a) for a in args], catch_exceptions=False)
    return result


def test_version_console_script_and_module():
    assert cli("--version").output.strip() == f"imsrecon {__version__}"
    out = subprocess.run([sys.executable, "-m", "imsrecon", "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"imsrecon {__version__}"


@pytest.mark.parametrize("command", ["import", "reconcile", "report", "demo", "decide", "export-upload",
                                     "upload-status", "changes", "figures", "explain"])
def test_every_command_has_help(command):
    result = cli(command, "--help")
    assert result.exit_code == 0 and "Usage" in result.output and "--json" in result.output


def test_help_keeps_bracketed_table_names():
    """Rich markup must not swallow the settings file's [table] names."""
    result = runner.invoke(app, ["reconcile", "--help"], env={"COLUMNS": "200"})
    assert "[match], [recommend], [decisions] and [filing]" in result.output


@pytest.fixture()
def demo_files(tmp_path):
    data = generate(n_ims=300, seed=11, recipient_gstin=RECIPIENT, layout="tally")
    return data, data.write(tmp_path / "in", pr_format="csv")


@pytest.mark.parametrize("suffix", [".csv", ".json", ".xlsx"])
def test_reconcile_writes_each_format_for_the_demo_data(tmp_path, demo_files, suffix):
    data, paths = demo_files
    out = tmp_path / f"result{suffix}"
    result = cli("reconcile", "--ims", paths["ims"], "--pr", paths["pr"], "--gstin", RECIPIENT,
                 "--out", out, "--db", tmp_path / "ws.db", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    ims_records = sum(len(v) for v in data.ims_payload["data"].values())
    counts = summary["counts"]
    # every IMS record is one row; register-only rows are missing_in_ims or duplicate
    assert ims_records == sum(counts[s] for s in ("exact", "probable", "mismatch", "missing_in_pr"))
    if suffix == ".csv":
        frame = pl.read_csv(out, infer_schema=False)
    elif suffix == ".json":
        frame = pl.DataFrame(json.loads(out.read_text()), infer_schema_length=None)
    else:
        wb = CalamineWorkbook.from_path(str(out))
        assert wb.sheet_names[0] == "Summary"
        rows = 0
        for name in wb.sheet_names[1:7]:
            sheet = wb.get_sheet_by_name(name).to_python()
            assert sheet[0][: len(CONTRACT_COLUMNS)] == CONTRACT_COLUMNS
            rows += len(sheet) - 1
        assert rows == sum(counts.values())
        return
    assert frame.columns[: len(CONTRACT_COLUMNS)] == CONTRACT_COLUMNS
    assert frame.height == sum(counts.values())
    assert dict(frame.group_by("match_status").len().iter_rows()) == {k: v for k, v in counts.items() if v}
    assert frame["matching_key"].n_unique() == frame.height


def _ims_for_tally(path: Path) -> Path:
    """An IMS download that holds the Tally fixture's documents, one with another date, and one more."""
    def rec(no, date, tv, i, c, s, stin=RECIPIENT, key="inum", dkey="idt"):
        return {"stin": stin, key: no, dkey: date, "val": tv + i + c + s, "pos": "27", "txval": tv, "iamt": i,
                "camt": c, "samt": s, "cess": 0, "action": "N", "ispendactblocked": "N", "srcform": "R1",
                "rtnprd": "042025", "srcfilstatus": "Filed", "inv_typ": "R", "hash": no}
    payload = {"status_cd": "1", "data": {
        "b2b": [rec("INV/001", "01-04-2025", 100000, 0, 9000, 9000), rec("INV/002", "02-04-2025", 1000, 0, 90, 90),
                rec("INV/003", "05-04-2025", 500, 0, 45, 45)],
        "b2bcn": [rec("CN-9", "02-04-2025", 500, 90, 0, 0, stin="29AAGCB1286Q1Z3", key="nt_num", dkey="nt_dt")],
    }}
    path.write_text(json.dumps(payload))
    return path


def test_reconcile_a_tally_xlsx_with_title_rows(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ims = _ims_for_tally(tmp_path / "ims.json")
    for suffix in (".csv", ".json", ".xlsx"):
        out = tmp_path / f"r{suffix}"
        result = cli("reconcile", "--ims", ims, "--pr", TALLY_XLSX, "--gstin", RECIPIENT, "--out", out,
                     "--db", ":memory:")
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 0
    assert "1 register rows under reverse charge or from unregistered suppliers kept out of IMS matching" in result.output
    frame = pl.read_csv(tmp_path / "r.csv", infer_schema=False)
    got = {r["ims_doc_no"] or r["pr_doc_no"]: (r["match_status"], r["pr_row"], r["differences"], r["recommended_action"])
           for r in frame.iter_rows(named=True)}
    assert got == {
        "INV/001": ("exact", "1", "", "Accept"),
        # blank supplier date: voucher date used, in the same month (rule doc_date_only_accept)
        "INV/002": ("mismatch", "2", "doc_date", "Accept"),
        "INV/003": ("missing_in_pr", None, "", "Pending"),
        "CN-9": ("exact", "3", "", "Accept"),  # booked with negative amounts
    }
    assert set(frame["pr_file"].drop_nulls()) == {"tally_title_rows.xlsx"}
    assert not list(tmp_path.glob("*.db"))  # --db :memory: leaves no workspace file
    rcm = CalamineWorkbook.from_path(str(tmp_path / "r.xlsx")).get_sheet_by_name("Kept out of matching").to_python()
    assert [(r[0], r[2], r[7]) for r in rcm[1:]] == [("tally_title_rows.xlsx", 6, "12345")]
    # the stored run's report lists them too
    db = tmp_path / "ws.db"
    cli("reconcile", "--ims", ims, "--pr", TALLY_XLSX, "--gstin", RECIPIENT, "--db", db)
    cli("report", "--out", tmp_path / "again.xlsx", "--db", db)
    again = CalamineWorkbook.from_path(str(tmp_path / "again.xlsx")).get_sheet_by_name("Kept out of matching").to_python()
    assert again == rcm


def test_importing_the_same_file_twice_is_a_no_op(tmp_path):
    db = tmp_path / "ws.db"
    first = json.loads(cli("import", TALLY_XLSX, "--db", db, "--json").output)
    second = json.loads(cli("import", TALLY_XLSX, "--db", db, "--json").output)
    assert first["files"][0]["already_imported"] is False
    assert second["files"][0]["already_imported"] is True
    assert second["files"][0]["import_id"] == first["files"][0]["import_id"]
    text = cli("import", TALLY_XLSX, "--db", db).output
    assert "tally_title_rows.xlsx: already imported, nothing new" in text
    from imsrecon.store.workspace import Workspace

    with Workspace.open(str(db)) as ws:
        assert ws.imports().height == 1
        assert ws.load_documents([first["files"][0]["import_id"]]).height == 4


def test_import_summary_and_issues(tmp_path):
    issues_out = tmp_path / "issues.csv"
    result = cli("import", TALLY_XLSX, "--db", tmp_path / "ws.db", "--json", "--issues-out", issues_out)
    summary = json.loads(result.output)["files"][0]
    assert (summary["rows_read"], summary["imported"], summary["errors"]) == (7, 4, 2)
    issues = pl.read_csv(issues_out, infer_schema=False)
    bad_date = issues.filter(pl.col("value") == "31-02-2025").row(0, named=True)
    assert (bad_date["file"], bad_date["line"], bad_date["row"], bad_date["column"]) == (
        "tally_title_rows.xlsx", "9", "4", "Supplier Invoice Date")
    text = cli("import", TALLY_XLSX, "--db", ":memory:").output
    assert "row 9 (data row 4), column 'Taxable Value': value 'abc': not a number" in text


def test_a_bad_file_stops_before_anything_is_written(tmp_path):
    db = tmp_path / "ws.db"
    bad = tmp_path / "broken.csv"
    bad.write_text("nothing,that,looks\nlike,a,register\n")
    result = runner.invoke(app, ["import", str(TALLY_XLSX), str(bad), "--db", str(db)])
    assert result.exit_code == 1
    assert "broken.csv: no header row found" in result.output
    from imsrecon.store.workspace import Workspace

    with Workspace.open(str(db)) as ws:
        assert ws.imports().height == 0


def test_wrong_side_is_refused(tmp_path):
    result = runner.invoke(app, ["reconcile", "--ims", str(TALLY_XLSX), "--pr", str(IMS), "--db", ":memory:"])
    assert result.exit_code == 1
    assert "tally_title_rows.xlsx: looks like a purchase register, not an IMS, GSTR-2B or GSTR-2A download" in result.output


def test_bad_out_suffix_and_bad_config(tmp_path):
    result = runner.invoke(app, ["reconcile", "--ims", str(IMS), "--pr", str(TALLY_XLSX), "--out", "x.txt"])
    assert result.exit_code == 2 and "--out must end in .csv, .json or .xlsx" in result.output
    cfg = tmp_path / "c.toml"
    cfg.write_text("[match]\ntolerance_rupees = -1\n")
    result = runner.invoke(app, ["reconcile", "--ims", str(IMS), "--pr", str(TALLY_XLSX), "--config", str(cfg),
                                 "--db", ":memory:"])
    assert result.exit_code == 1 and "c.toml: tolerance_rupees must be a number >= 0, not -1" in result.output


def test_report_rewrites_the_stored_run(tmp_path, demo_files):
    _, paths = demo_files
    db = tmp_path / "ws.db"
    direct = tmp_path / "direct.csv"
    cli("reconcile", "--ims", paths["ims"], "--pr", paths["pr"], "--out", direct, "--db", db)
    stored = tmp_path / "stored.csv"
    result = cli("report", "--out", stored, "--db", db, "--json")
    assert result.exit_code == 0
    assert json.loads(result.output)["run_id"] == 1
    assert stored.read_text() == direct.read_text()
    empty = runner.invoke(app, ["report", "--out", str(tmp_path / "x.csv"), "--db", str(tmp_path / "new.db")])
    assert empty.exit_code == 1 and "no reconciliation run in this workspace yet" in empty.output


def test_memory_db_leaves_no_workspace_file(tmp_path, monkeypatch, demo_files):
    _, paths = demo_files
    monkeypatch.chdir(tmp_path)
    result = cli("reconcile", "--ims", paths["ims"], "--pr", paths["pr"], "--db", ":memory:")
    assert result.exit_code == 0
    assert not list(tmp_path.glob("*.db"))


def test_default_workspace_and_env_var(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("IMSRECON_DB", raising=False)
    cli("import", TALLY_XLSX)
    assert (tmp_path / "imsrecon.db").exists()
    monkeypatch.setenv("IMSRECON_DB", str(tmp_path / "other.db"))
    cli("import", TALLY_XLSX)
    assert (tmp_path / "other.db").exists()


def test_demo_command(tmp_path):
    result = cli("demo", "--dir", tmp_path / "demo", "--size", "60", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    files = summary["demo_files"]
    for key in ("ims", "pr", "truth", "report_xlsx", "report_csv", "workspace"):
        assert Path(files[key]).exists(), key
    assert set(summary["counts"]) == set(STATUS_ORDER)
    frame = pl.read_csv(files["report_csv"], infer_schema=False)
    assert frame.height == sum(summary["counts"].values())
    text = cli("demo", "--dir", tmp_path / "demo", "--size", "60").output
    assert "Demo (60 IMS docs)" in text and "Exact" in text


def test_explain_answers_for_every_document_of_the_demo(tmp_path):
    from imsrecon.store.workspace import Workspace
    from imsrecon.workflow import explain

    cli("demo", "--dir", tmp_path / "demo", "--size", "80", "--json")
    db = tmp_path / "demo" / "imsrecon.db"
    with Workspace.open(str(db)) as ws:
        result = ws.load_result()
        for key in result["matching_key"].to_list():
            found = explain(ws, key)
            assert [e.row["matching_key"] for e in found] == [key]
            e = found[0]
            if e.row["match_status"] in ("exact", "probable", "mismatch"):
                partner = e.candidates.filter(pl.col("accept")).sort("score", descending=True)
                assert partner.height >= 1  # the chosen partner is among the candidates
                chosen = (pl.col("candidate_doc_no") == e.row["pr_doc_no"]) & (
                    pl.col("candidate_gstin").eq_missing(e.row["pr_supplier_gstin"]))
                assert partner.filter(chosen).height >= 1, key
    missing = result.filter(pl.col("match_status") == "missing_in_pr").row(0, named=True)
    text = cli("explain", missing["matching_key"], "--db", db).output
    assert "missing_in_pr" in text and "Candidates in the register" in text or "No document of this supplier" in text
    by_number = json.loads(cli("explain", missing["ims_doc_no"], "--db", db, "--json").output)
    assert any(e["result"]["matching_key"] == missing["matching_key"] for e in by_number)
    nothing = runner.invoke(app, ["explain", "NO-SUCH-DOC", "--db", str(db)])
    assert nothing.exit_code == 1 and "no document with matching key or number 'NO-SUCH-DOC'" in nothing.output


def test_recommendation_overrides_from_the_settings_file(tmp_path, demo_files):
    _, paths = demo_files
    cfg = tmp_path / "settings.toml"
    cfg.write_text('[match]\ntolerance_rupees = 1\n\n[recommend]\nbooks_agree = "Pending"\n')
    out = tmp_path / "r.csv"
    result = cli("reconcile", "--ims", paths["ims"], "--pr", paths["pr"], "--config", cfg, "--out", out,
                 "--db", tmp_path / "ws.db")
    assert result.exit_code == 0, result.output
    frame = pl.read_csv(out, infer_schema=False).filter(pl.col("recommendation_rule") == "books_agree")
    assert frame.height > 0 and set(frame["recommended_action"]) == {"Pending"}
    from imsrecon.store.workspace import Workspace

    with Workspace.open(str(tmp_path / "ws.db")) as ws:
        assert json.loads(ws.runs()["config_json"][0])["recommend"] == {"books_agree": "Pending"}
    bad = tmp_path / "bad.toml"
    bad.write_text('[recommend]\nno_such_rule = "Accept"\n')
    refused = runner.invoke(app, ["reconcile", "--ims", str(paths["ims"]), "--pr", str(paths["pr"]),
                                  "--config", str(bad), "--db", ":memory:"])
    assert refused.exit_code == 1 and "unknown rule(s) ['no_such_rule']" in refused.output


def test_brackets_in_file_names_and_values_are_printed_as_they_are(tmp_path):
    """Nothing a user's file holds is read as console markup: a file named "Bills [Apr].csv"
    and a cell holding "[/x]" are printed as they are (and do not crash the command)."""
    reg = tmp_path / "Bills [Apr].csv"
    reg.write_text("Supplier GSTIN,Invoice Number,Invoice Date,Taxable Value,IGST,Voucher Type\n"
                   f"{RECIPIENT},A-1,01-04-2025,100,18,[/x] purchase [bold]\n")
    result = cli("import", reg, "--db", tmp_path / "ws.db")
    assert result.exit_code == 0, result.output
    assert "Bills [Apr].csv" in result.output and "[/x] purchase [bold]" in result.output


def test_the_cli_sets_the_allocator_before_polars_loads():
    """The jemalloc setting only works when it is in the environment before Polars loads."""
    code = ("import sys, os; import imsrecon.cli.app; "
            "print(os.environ.get('_RJEM_MALLOC_CONF'))")
    env = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    # Polars puts its own defaults first and appends ours (the later option wins in jemalloc)
    assert out.stdout.strip().endswith(",muzzy_decay_ms:0")
    mine = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={**env, "_RJEM_MALLOC_CONF": "dirty_decay_ms:0"})
    assert mine.stdout.strip().endswith(",dirty_decay_ms:0")  # a user's own setting wins
    first = subprocess.run([sys.executable, "-c", "import imsrecon.cli, sys; print('polars' in sys.modules)"],
                           capture_output=True, text=True, check=True, env=env)
    assert first.stdout.strip() == "False"  # set before Polars is imported
