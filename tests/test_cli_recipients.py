"""End to end: the recipient GSTIN checked before anything is stored, imports judged per
recipient, a workspace of several recipients, and a download counted once however often it is
given (or saved again with other formatting)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from imsrecon.cli.app import app
from imsrecon.demo.generator import generate
from imsrecon.importers.base import ImportOptions, sha256_of
from imsrecon.importers.registry import read_file
from imsrecon.store.workspace import Workspace

runner = CliRunner()
A = "27AAPFU0939F1ZV"  # the recipient
TYPO = "27AAPFU0939F1ZX"  # A with the last character mistyped
B = "29AAGCB1286Q1Z0"  # another company in the same workspace


def cli(*args: object) -> object:
    return runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "250"})


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Path]]:
    """A month of IMS and a messy Tally register for A, and for B."""
    out = {}
    for name, recipient, seed in (("a", A, 5), ("b", B, 6)):
        data = generate(n_ims=120, seed=seed, recipient_gstin=recipient, layout="tally")
        out[name] = data.write(tmp_path_factory.mktemp(name), pr_format="csv")
    return out


def _summary(result) -> dict:
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.mark.parametrize(("given", "reason"), [
    (TYPO, "check character should be V"),
    ("27AAPFU0939F1Z", "15 characters, not 14"),
    ("2AAPFU0939F1ZVV", "no 2-digit state code"),
    ("27AAPFU0939F1ZV-", "15 characters, not 16"),
])
def test_a_mistyped_gstin_is_refused_before_anything_is_stored(tmp_path, books, given, reason):
    db = tmp_path / "ws.db"
    for args in (["reconcile", "--ims", books["a"]["ims"], "--pr", books["a"]["pr"]], ["import", books["a"]["pr"]],
                 ["report", "--out", tmp_path / "r.csv"], ["explain", "INV-1"], ["figures"]):
        result = cli(*args, "--gstin", given, "--db", db)
        assert result.exit_code == 2, (args, result.output)
        assert reason in result.output and "Traceback" not in result.output
        assert not db.exists()


def test_the_gstin_is_read_as_typed(tmp_path, books):
    summary = _summary(cli("reconcile", "--ims", books["a"]["ims"], "--pr", books["a"]["pr"], "--gstin",
                           f"  {A.lower()} ", "--db", tmp_path / "ws.db", "--json"))
    assert summary["recipient_gstin"] == A and summary["recipient_gstin"] in summary["recipient_gstins"]


def test_files_imported_under_a_mistyped_gstin_are_imported_again_for_the_right_one(tmp_path, books):
    db = tmp_path / "ws.db"
    expected = _summary(cli("reconcile", "--ims", books["a"]["ims"], "--pr", books["a"]["pr"], "--gstin", A,
                            "--db", ":memory:", "--json"))["counts"]
    with Workspace.open(db) as ws:  # as an earlier imsrecon, which did not check --gstin, stored them
        for path in (books["a"]["ims"], books["a"]["pr"]):
            ws.record_import(read_file(path, ImportOptions(recipient_gstin=TYPO)), sha256_of(path), str(path))
    summary = _summary(cli("reconcile", "--ims", books["a"]["ims"], "--pr", books["a"]["pr"], "--gstin", A,
                           "--db", db, "--json"))
    assert summary["counts"] == expected and sum(expected.values()) > 100
    assert [f["already_imported"] for f in summary["files"]] == [False, False]
    again = _summary(cli("reconcile", "--ims", books["a"]["ims"], "--pr", books["a"]["pr"], "--gstin", A,
                         "--db", db, "--json"))
    assert again["counts"] == expected and [f["already_imported"] for f in again["files"]] == [True, True]
    with Workspace.open(db) as ws:
        assert sorted(ws.imports()["recipient_gstin"].to_list()) == [A, A, TYPO, TYPO]


def test_inputs_with_documents_but_none_for_the_recipient_are_refused(tmp_path, books):
    db = tmp_path / "ws.db"
    # B's download names its recipient in the envelope (as the API's answer may)
    payload = json.loads(books["b"]["ims"].read_text())
    payload["data"]["rtin"] = B
    theirs = tmp_path / "IMS-B.json"
    theirs.write_text(json.dumps(payload))
    result = cli("reconcile", "--ims", theirs, "--pr", books["a"]["pr"], "--gstin", A, "--db", db)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"IMS-B.json: the IMS files hold 120 documents, none for recipient {A} (they are for {B})" in result.output
    # a register whose own recipient column says B
    reg = tmp_path / "books-b.csv"
    reg.write_text("Company GSTIN,Supplier GSTIN,Invoice Number,Invoice Date,Taxable Value,IGST\n"
                   f"{B},29AAGCB1286Q1Z0,A-1,01-04-2025,100,18\n{B},29AAGCB1286Q1Z0,A-2,02-04-2025,200,36\n")
    result = cli("reconcile", "--ims", books["a"]["ims"], "--pr", reg, "--gstin", A, "--db", db)
    assert result.exit_code == 1 and "books-b.csv: the registers hold 2 documents, none for recipient" in result.output
    with Workspace.open(db) as ws:
        assert ws.runs().height == 0  # no run recorded for either


def test_a_workspace_of_two_recipients(tmp_path, books):
    db = tmp_path / "ws.db"
    runs = {}
    for name, gstin in (("a", A), ("b", B)):
        runs[gstin] = _summary(cli("reconcile", "--ims", books[name]["ims"], "--pr", books[name]["pr"], "--gstin",
                                   gstin, "--db", db, "--json"))
    out = tmp_path / "r.csv"
    refused = cli("report", "--out", out, "--db", db)
    assert refused.exit_code == 1 and "holds runs of 2 recipients" in refused.output and "--gstin" in refused.output
    assert not out.exists()
    for gstin in (A, B):
        summary = _summary(cli("report", "--out", out, "--gstin", gstin, "--db", db, "--json"))
        assert summary["run_id"] == runs[gstin]["run_id"] and summary["counts"] == runs[gstin]["counts"]
        assert set(pl.read_csv(out, infer_schema=False)["recipient_gstin"].drop_nulls()) == {gstin}
        figures = _summary(cli("figures", "--gstin", gstin, "--db", db, "--json"))
        assert figures["run_id"] == runs[gstin]["run_id"]
    assert cli("figures", "--db", db).exit_code == 1
    key = pl.read_csv(out, infer_schema=False).filter(pl.col("ims_doc_no").is_not_null())["matching_key"][0]
    assert cli("explain", key, "--db", db).exit_code == 1
    found = _summary(cli("explain", key, "--gstin", B, "--db", db, "--json"))
    assert found[0]["run_id"] == runs[B]["run_id"]
    wrong = cli("report", "--out", out, "--run", runs[A]["run_id"], "--gstin", B, "--db", db)
    assert wrong.exit_code == 1 and f"run {runs[A]['run_id']} is for recipient {A}, not {B}" in wrong.output
    assert cli("report", "--out", out, "--run", runs[A]["run_id"], "--db", db).exit_code == 0
    # the commands of decisions and uploads choose their run through the same helper
    for args in (["decide", "--all-recommended"], ["export-upload", "--out", tmp_path / "up"]):
        result = cli(*args, "--db", db)
        assert result.exit_code == 1 and "holds runs of 2 recipients" in result.output, result.output
    with Workspace.open(db) as ws:
        assert ws.latest_decisions().height == 0
    # with --gstin they act on that recipient's run, and a run of another recipient is refused
    decided = _summary(cli("decide", "--all-recommended", "--gstin", B, "--db", db, "--json"))
    assert decided["run_id"] == runs[B]["run_id"] and decided["applied"] > 0
    wrong = cli("decide", "--all-recommended", "--run", runs[A]["run_id"], "--gstin", B, "--db", db)
    assert wrong.exit_code == 1 and f"is for recipient {A}, not {B}" in wrong.output
    exported = _summary(cli("export-upload", "--out", tmp_path / "up", "--gstin", B, "--db", db, "--json"))
    assert exported["run_id"] == runs[B]["run_id"] and exported["save_records"] > 0
    payload = json.loads((tmp_path / "up" / "SAVE-1.json").read_text())
    assert payload["data"]["rtin"] == B


def _saved_again(src: Path, dst: Path, keep: slice = slice(None)) -> Path:
    """The same download saved again by another tool: indented, sections and records in another
    order, amounts written as text with decimals where they were integers."""
    payload = json.loads(src.read_text())
    data = {k: [{**r, "txval": f"{float(r['txval']):.2f}"} for r in reversed(v)][keep]
            for k, v in reversed(payload["data"].items())}
    dst.write_text(json.dumps({"data": data, "status_cd": "1"}, indent=4))
    return dst


def test_the_same_download_given_twice_or_saved_again_counts_once(tmp_path, books):
    db = tmp_path / "ws.db"
    ims, pr = books["a"]["ims"], books["a"]["pr"]
    once = _summary(cli("reconcile", "--ims", ims, "--pr", pr, "--gstin", A, "--db", db, "--json"))
    copy = _saved_again(ims, tmp_path / "IMS (1).json")
    assert sha256_of(copy) != sha256_of(ims)
    imported = _summary(cli("import", copy, "--gstin", A, "--db", db, "--json"))["files"][0]
    assert imported["already_imported"] is True and imported["import_id"] == once["files"][0]["import_id"]
    text = cli("import", copy, "--gstin", A, "--db", db).output
    assert "the same documents as ims.json (import 1), imported before" in text
    for files in ([ims, ims], [ims, copy], [copy, ims]):
        args = [a for f in files for a in ("--ims", f)]
        twice = _summary(cli("reconcile", *args, "--pr", pr, "--gstin", A, "--db", db, "--json"))
        assert twice["counts"] == once["counts"] and twice["ims_documents"] == once["ims_documents"]
        assert any("counted once" in note for note in twice["notes"]), twice["notes"]
    with Workspace.open(db) as ws:
        assert ws.imports().filter(pl.col("side") == "ims").height == 1
        assert json.loads(ws.runs()["ims_import_ids"][-1]) == [1]


def test_overlapping_downloads_count_each_document_once(tmp_path, books):
    """A download of the month and a later one holding some of the same documents (one of them
    accepted on the portal since) and one more: each document once, as the later file has it."""
    ims, pr = books["a"]["ims"], books["a"]["pr"]
    payload = json.loads(ims.read_text())
    b2b = payload["data"]["b2b"]
    later = {"data": {"b2b": [{**b2b[0], "action": "A"}, *b2b[1:10],
                              {**b2b[0], "inum": "NEW/2025/1", "hash": "new"}]}}
    (tmp_path / "later.json").write_text(json.dumps(later))
    both = _summary(cli("reconcile", "--ims", ims, "--ims", tmp_path / "later.json", "--pr", pr, "--gstin", A,
                        "--db", tmp_path / "ws.db", "--out", tmp_path / "r.csv", "--json"))
    records = sum(len(v) for v in payload["data"].values())
    assert both["ims_documents"] == records + 1
    assert "10 documents are in more than one of the files given: each is counted once" in " ".join(both["notes"])
    result = pl.read_csv(tmp_path / "r.csv", infer_schema=False).filter(pl.col("ims_doc_no").is_not_null())
    assert result.height == records + 1 and result["matching_key"].n_unique() == result.height
    first = result.filter(pl.col("ims_doc_no") == b2b[0]["inum"])
    assert first.height == 1 and first["ims_action"][0] == "A" and first["ims_file"][0] == "later.json"
