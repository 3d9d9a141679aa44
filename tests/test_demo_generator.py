"""The demo / benchmark data generator: determinism, valid portal data, a truth table that covers
every IMS record and every register row once, and truth that agrees with the data itself."""

from __future__ import annotations

import csv
import dataclasses

import orjson
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imsrecon.demo.generator import DemoData, Messiness, generate
from imsrecon.demo.layouts import LAYOUT_SPECS, LAYOUTS
from imsrecon.demo.messiness import TRAP_STATUS
from imsrecon.demo.writers import header_line_number, write_ims_json, write_pr
from imsrecon.normalise.amounts import amount_expr
from imsrecon.normalise.dates import FORMATS_BY_ORDER, date_expr
from imsrecon.normalise.docno import doc_no_norm_expr
from imsrecon.normalise.gstin import gstin_problem
from imsrecon.sections import SECTIONS

STATUSES = {"exact", "probable", "mismatch", "missing_in_pr", "missing_in_ims", "duplicate", "reverse_charge"}
DIFF_FIELDS = {"supplier_gstin", "doc_date", "taxable_value", "igst", "cgst", "sgst", "cess"}
NUMBER_TRAPS = {"fy_token", "branch_prefix_dropped", "typo", "transposed_digits", "transposed_digits_collision",
                "typo_and_date", "own_number", "fy_token_and_value", "number_remark"}


def ims_records(data: DemoData) -> pl.DataFrame:
    """Every IMS record, flattened: section, stin, number, date, amounts, original number."""
    rows = []
    for key, records in data.ims_payload["data"].items():
        sec = SECTIONS[key]
        for r in records:
            rows.append({
                "section": key, "stin": r["stin"], "no": r[sec.number_field], "date": r[sec.date_field],
                "orig_no": r.get(sec.orig_number_field) if sec.orig_number_field else None,
                **{f"i_{h}": float(r[h]) for h in ("txval", "iamt", "camt", "samt", "cess", "val")},
            })
    schema = {"section": pl.String, "stin": pl.String, "no": pl.String, "date": pl.String, "orig_no": pl.String,
              **{f"i_{h}": pl.Float64 for h in ("txval", "iamt", "camt", "samt", "cess", "val")}}
    return pl.DataFrame(rows, schema=schema)


def parsed_register(data: DemoData) -> pl.DataFrame:
    """The register text read back with the project's normalisers, by role."""
    spec = LAYOUT_SPECS[data.layout]
    cols = {role: header for role, header in spec.columns.items()}
    formats = FORMATS_BY_ORDER[spec.date_order]  # the layout's own order (plain_us: month-first)
    out = data.pr.with_row_index("pr_row", offset=1).select(
        pl.col("pr_row").cast(pl.Int64),
        *[amount_expr(pl.col(cols[r])).fill_null(0.0).abs().alias(r)
          for r in ("taxable_value", "igst", "cgst", "sgst", "cess")],
        pl.col(cols["supplier_gstin"]).alias("gstin"),
        pl.col(cols["party_name"]).alias("party"),
        pl.col(cols["doc_no"]).alias("doc_no"),
        date_expr(pl.col(cols["doc_date"]), formats).alias("doc_date"),
        (date_expr(pl.col(cols["voucher_date"]), formats) if "voucher_date" in cols else pl.lit(None, pl.Date)).alias("voucher_date"),
    )
    return out


def check_truth(data: DemoData) -> None:
    """Every invariant the truth table promises, checked against the data itself."""
    truth, ims = data.truth, ims_records(data)
    assert truth.columns == ["expected_status", "ims_section", "ims_supplier_gstin", "ims_doc_no", "pr_row",
                             "expected_differences", "trap"]
    assert set(truth["expected_status"].unique().to_list()) <= STATUSES
    # coverage: each IMS record once, each register row once
    ims_keys = ims.select("section", "stin", "no").rows()
    truth_ims = truth.filter(pl.col("ims_section").is_not_null())
    assert sorted(truth_ims.select("ims_section", "ims_supplier_gstin", "ims_doc_no").rows()) == sorted(ims_keys)
    assert len(set(ims_keys)) == len(ims_keys)
    pr_rows = truth["pr_row"].drop_nulls().sort().to_list()
    assert pr_rows == list(range(1, data.pr.height + 1))
    # statuses and where they may appear
    for status, has_ims, has_pr in [("missing_in_pr", True, False), ("missing_in_ims", False, True),
                                    ("duplicate", False, True), ("reverse_charge", False, True),
                                    ("exact", True, True), ("probable", True, True), ("mismatch", True, True)]:
        part = truth.filter(pl.col("expected_status") == status)
        assert part["ims_section"].is_not_null().all() == has_ims or part.height == 0
        assert part["ims_section"].is_null().all() == (not has_ims) or part.height == 0
        assert part["pr_row"].is_not_null().all() == has_pr or part.height == 0
    # differences: from the allowed names, sorted; empty unless mismatch
    for status, diffs in truth.select("expected_status", "expected_differences").iter_rows():
        names = [d for d in diffs.split(";") if d]
        assert names == sorted(names) and set(names) <= DIFF_FIELDS
        assert bool(names) == (status == "mismatch"), (status, diffs)
    for trap, status in truth.filter(pl.col("trap") != "").select("trap", "expected_status").iter_rows():
        want = TRAP_STATUS[trap]
        if want == "derived":
            assert status in ("exact", "mismatch")
        elif want == "duplicate":
            assert status in ("exact", "duplicate")
        else:
            assert status == want, (trap, status)
    _check_pairs_against_data(data, ims)


def _check_pairs_against_data(data: DemoData, ims: pl.DataFrame) -> None:
    """Re-derive the differences of every IMS<->register pair from the written cells."""
    pr = parsed_register(data)
    pairs = (
        data.truth.filter(pl.col("pr_row").is_not_null() & pl.col("ims_section").is_not_null())
        .join(ims, left_on=["ims_section", "ims_supplier_gstin", "ims_doc_no"], right_on=["section", "stin", "no"])
        .join(pr, on="pr_row")
    )
    assert pairs.height == data.truth.filter(pl.col("pr_row").is_not_null() & pl.col("ims_section").is_not_null()).height
    # a blank GSTIN is filled from the party's other rows
    party_gstin = pr.filter(pl.col("gstin").is_not_null()).group_by("party").agg(pl.col("gstin").unique())
    pairs = pairs.join(party_gstin.rename({"gstin": "party_gstins"}), on="party", how="left")
    heads = {"txval": "taxable_value", "iamt": "igst", "camt": "cgst", "samt": "sgst", "cess": "cess"}
    # a document booked in parts: its row's amounts and its part's (same GSTIN and number) add up
    part_rows = data.truth.filter(pl.col("trap") == "booked_in_parts", pl.col("ims_section").is_null())
    part_sums = pr.join(part_rows.select("pr_row"), on="pr_row").group_by("gstin", "doc_no").agg(
        pl.col(r).sum().alias(f"_part_{r}") for r in heads.values())
    split = pl.col("trap") == "booked_in_parts"
    pairs = pairs.join(part_sums, on=["gstin", "doc_no"], how="left").with_columns(
        pl.when(split).then(pl.col(r) + pl.col(f"_part_{r}")).otherwise(pl.col(r)).alias(r) for r in heads.values())
    assert pairs.filter(split & pl.col("_part_taxable_value").is_null()).height == 0
    derived = pairs.with_columns(
        pl.concat_str([
            pl.when((pl.col(f"i_{h}") - pl.col(r)).abs() > 1.0).then(pl.lit(r)) for h, r in heads.items()
        ] + [
            pl.when(pl.coalesce("doc_date", "voucher_date") != pl.col("date").str.strptime(pl.Date, "%d-%m-%Y"))
            .then(pl.lit("doc_date")),
            pl.when(pl.col("gstin").is_not_null() & (pl.col("gstin") != pl.col("ims_supplier_gstin")))
            .then(pl.lit("supplier_gstin")),
        ], separator=";", ignore_nulls=True).alias("_d"),
        doc_no_norm_expr(pl.col("doc_no")).alias("_pn"),
        doc_no_norm_expr(pl.col("ims_doc_no")).alias("_in"),
        doc_no_norm_expr(pl.col("orig_no")).alias("_on"),
    )
    for row in derived.iter_rows(named=True):
        got = ";".join(sorted(d for d in row["_d"].split(";") if d))
        assert got == row["expected_differences"], row
        if row["gstin"] is None:
            assert row["party_gstins"] == [row["ims_supplier_gstin"]], row
        trap = row["trap"]
        if trap == "amendment_original_number":
            assert row["_pn"] == row["_on"] != row["_in"], row
        elif trap in NUMBER_TRAPS:
            assert row["_pn"] != row["_in"], row
        else:
            assert row["_pn"] == row["_in"], row
        if trap == "number_format":
            assert row["doc_no"] != row["ims_doc_no"], row


# --- determinism and portal shape -------------------------------------------------------------


def test_same_seed_same_data_and_other_seed_other_data():
    a, b = generate(300, seed=11), generate(300, seed=11)
    assert orjson.dumps(a.ims_payload) == orjson.dumps(b.ims_payload)
    assert a.pr.equals(b.pr) and a.truth.equals(b.truth)
    c = generate(300, seed=12)
    assert orjson.dumps(a.ims_payload) != orjson.dumps(c.ims_payload)
    assert not a.pr.equals(c.pr)


def test_payload_is_the_getinv_envelope_with_valid_gstins_and_unsigned_amounts():
    data = generate(800, seed=5)
    assert data.ims_payload["status_cd"] == "1"
    sections = data.ims_payload["data"]
    assert set(sections) <= set(SECTIONS) and "b2b" in sections
    assert sum(len(v) for v in sections.values()) == 800
    for key, records in sections.items():
        sec = SECTIONS[key]
        for r in records:
            assert gstin_problem(r["stin"]) is None, r["stin"]
            assert r[sec.number_field] and len(r[sec.number_field]) <= 16
            assert r[sec.date_field][2] == "-" and len(r[sec.date_field]) == 10
            if sec.orig_number_field:
                assert r[sec.orig_number_field] and r[sec.orig_date_field]
            for h in ("val", "txval", "iamt", "camt", "samt", "cess"):
                assert isinstance(r[h], float) and r[h] >= 0
            assert r["action"] in "NARP" and r["ispendactblocked"] in ("Y", "N")
            assert not (r["action"] == "P" and r["ispendactblocked"] == "Y")
            assert r["srcform"] in ("R1", "IFF", "R1A") and r["srcfilstatus"] in ("Filed", "Not Filed")
            assert len(r["rtnprd"]) == 6 and r["rtnprd"].isdigit()
            assert int(r["hash"], 16) >= 0 and len(r["hash"]) == 64
            assert ("inv_typ" in r) == (not key.startswith("ecom"))
            if "inv_typ" in r:
                assert r["inv_typ"] in ("R", "SEWP", "DE")
    for g in data.pr[LAYOUT_SPECS["tally"].columns["supplier_gstin"]].drop_nulls().to_list():
        assert gstin_problem(g) is None, g


def test_register_has_the_layout_headers_and_booking_order():
    for layout in LAYOUTS:
        data = generate(200, seed=3, layout=layout)
        assert data.pr.columns == LAYOUTS[layout]
        assert all(t == pl.String for t in data.pr.dtypes)
        spec = LAYOUT_SPECS[layout]
        if "voucher_date" in spec.columns:
            booked = data.pr.select(date_expr(pl.col(spec.columns["voucher_date"]), FORMATS_BY_ORDER[spec.date_order]))
            assert booked.to_series().is_sorted()


# --- truth ------------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_truth_covers_everything_and_agrees_with_the_data(layout):
    check_truth(generate(1500, seed=21, layout=layout))


def test_clean_set_has_only_exact_rows():
    data = generate(500, seed=2, mix=Messiness.none())
    check_truth(data)
    assert data.truth["expected_status"].unique().to_list() == ["exact"]
    assert (data.truth["trap"] == "").all()
    assert data.pr.height == 500


def test_one_sided_documents_without_traps():
    mix = Messiness.none().with_rates(missing_in_pr=0.1, missing_in_ims=0.1, reverse_charge=0.05)
    data = generate(600, seed=9, mix=mix)
    check_truth(data)
    assert set(data.truth["expected_status"].unique()) == {"exact", "missing_in_pr", "missing_in_ims", "reverse_charge"}
    assert (data.truth["trap"] == "").all()


@pytest.mark.parametrize("trap", sorted(TRAP_STATUS))
def test_each_trap_alone(trap):
    layout = "plain"
    data = generate(600, seed=4, mix=Messiness.none().with_rates(**{trap: 0.1}), layout=layout)
    check_truth(data)
    labels = set(data.truth["trap"].unique().to_list()) - {""}
    assert labels == {trap}
    n = data.truth.filter(pl.col("trap") == trap).height
    assert n >= 10, f"{trap}: only {n} documents"


def test_default_mix_has_every_trap():
    data = generate(4000, seed=8)
    labels = set(data.truth["trap"].unique().to_list()) - {""}
    assert labels == set(TRAP_STATUS)


def test_collision_trap_lands_on_another_real_number():
    data = generate(3000, seed=8, mix=Messiness.none().with_rates(transposed_digits_collision=0.05))
    check_truth(data)
    spec = LAYOUT_SPECS[data.layout]
    pr = data.pr.with_row_index("pr_row", offset=1)
    hits = data.truth.filter(pl.col("trap") == "transposed_digits_collision").join(
        pr.select(pl.col("pr_row").cast(pl.Int64), pl.col(spec.columns["doc_no"]).alias("pr_no")), on="pr_row")
    assert hits.height > 0
    numbers = set(data.truth.select("ims_supplier_gstin", "ims_doc_no").rows())
    for gstin, pr_no, own in hits.select("ims_supplier_gstin", "pr_no", "ims_doc_no").iter_rows():
        assert (gstin, pr_no) in numbers and pr_no != own


def test_small_sizes_work():
    for n in (1, 2, 10):
        check_truth(generate(n, seed=1))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(1, 120), seed=st.integers(0, 2**32 - 1), layout=st.sampled_from(sorted(LAYOUTS)),
       heavy=st.booleans())
def test_coverage_property(n, seed, layout, heavy):
    mix = Messiness()
    if heavy:  # many traps at once, competing for few documents
        mix = dataclasses.replace(mix, **{k: 0.08 for k in TRAP_STATUS}, missing_in_pr=0.1, missing_in_ims=0.1)
    check_truth(generate(n, seed=seed, layout=layout, mix=mix))


def test_bad_arguments():
    with pytest.raises(ValueError):
        generate(10, layout="sap")
    with pytest.raises(ValueError):
        generate(0)
    with pytest.raises(ValueError):
        generate(10, recipient_gstin="27AAPFU0939F1ZX")
    with pytest.raises(ValueError):
        Messiness(typo=1.5)


# --- writers ----------------------------------------------------------------------------------


def test_write_csv_round_trip(tmp_path):
    from imsrecon.importers.tabular import read_csv_table

    data = generate(400, seed=6)
    paths = data.write(tmp_path)
    assert set(paths) == {"ims", "pr", "truth"} and all(p.exists() for p in paths.values())
    lines = paths["pr"].read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith(data.company_name) and lines[1].startswith("Purchase Register")
    assert lines[2].startswith("1-Apr-2025 to 31-Mar-2026") and lines[3].strip(",") == ""
    headers = LAYOUTS[data.layout]

    def scorer(cells: list[str]) -> float:
        return float(sum(c in headers for c in cells))

    table = read_csv_table(paths["pr"], scorer, 3.0)
    assert table.header_line == header_line_number() == 5
    assert table.headers == headers
    assert table.frame.height == data.pr.height
    assert table.frame.equals(data.pr)
    assert orjson.loads(paths["ims"].read_bytes()) == data.ims_payload
    truth = pl.read_csv(paths["truth"], schema=data.truth.schema)
    assert truth.with_columns(pl.col("expected_differences").fill_null(""), pl.col("trap").fill_null("")).equals(data.truth)


def test_write_xlsx_round_trip(tmp_path):
    from python_calamine import CalamineWorkbook

    data = generate(300, seed=6, layout="busy")
    path = data.write(tmp_path, pr_format="xlsx")["pr"]
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python(skip_empty_area=False)
    top = header_line_number() - 1
    assert rows[0][0] == data.company_name and rows[1][0] == "Purchase Register"
    assert [str(c) for c in rows[top]] == LAYOUTS["busy"]
    body = [r for r in rows[top + 1:] if any(c not in ("", None) for c in r)]
    assert len(body) == data.pr.height
    col = LAYOUTS["busy"].index("Taxable Amt")
    written = data.pr.select(amount_expr(pl.col("Taxable Amt"))).to_series().to_list()
    read = [float(str(r[col]).replace(",", "").replace("(", "-").replace(")", "")) for r in body]
    assert read == pytest.approx(written)


def test_write_pr_without_title_rows_and_untyped_xlsx(tmp_path):
    from python_calamine import CalamineWorkbook

    data = generate(50, seed=1, layout="zoho")
    csv_path = write_pr(data.pr, tmp_path / "pr.csv", "zoho", title_rows=False)
    with csv_path.open(encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == LAYOUTS["zoho"] and len(rows) == data.pr.height + 1
    xlsx = write_pr(data.pr, tmp_path / "pr.xlsx", "zoho", typed_cells=False)
    sheet = CalamineWorkbook.from_path(str(xlsx)).get_sheet_by_index(0).to_python()
    assert all(isinstance(c, str) for r in sheet[header_line_number():] for c in r if c != "")
    with pytest.raises(ValueError):
        write_pr(data.pr, tmp_path / "pr.txt", "zoho")
    with pytest.raises(ValueError):
        write_pr(data.pr, tmp_path / "pr.csv", "tally")
    assert write_ims_json(data.ims_payload, tmp_path / "x.json").exists()


def test_files_import_with_the_project_importers(tmp_path):
    from imsrecon.importers.base import ImportOptions
    from imsrecon.importers.ims_json import ImsJsonImporter
    from imsrecon.issues import Severity

    data = generate(500, seed=13)
    paths = data.write(tmp_path)
    result = ImsJsonImporter().read(paths["ims"], ImportOptions(recipient_gstin=data.recipient_gstin))
    assert result.rows_read == 500 and result.documents.height == 500
    assert not [i for i in result.issues if i.severity is Severity.ERROR]


@pytest.mark.parametrize(("layout", "pr_format"), [("tally", "csv"), ("zoho", "xlsx"), ("busy", "csv"), ("plain", "xlsx")])
def test_register_reads_with_the_register_importer(tmp_path, layout, pr_format):
    register = pytest.importorskip("imsrecon.importers.register")
    from imsrecon.importers.base import ImportOptions
    from imsrecon.issues import Severity

    data = generate(600, seed=17, layout=layout)
    paths = data.write(tmp_path, pr_format=pr_format)
    result = register.RegisterImporter().read(paths["pr"], ImportOptions(recipient_gstin=data.recipient_gstin))
    docs = result.documents
    assert not [i for i in result.issues if i.severity is Severity.ERROR]
    assert docs.height == data.pr.height
    assert docs["src_row"].to_list() == list(range(1, data.pr.height + 1))
    assert docs["supplier_gstin"].null_count() == 0  # blank GSTINs filled from the party's other rows
    expected_rc = data.truth.filter(pl.col("expected_status") == "reverse_charge").height
    assert int(docs["reverse_charge"].sum()) == expected_rc
