"""Line rows of one document in a register that has no voucher, rate or item column, and the
nil-rated lines of a taxed invoice: read through the real importer, reconciled end to end."""

from __future__ import annotations

import json
import random

import polars as pl
import pytest
from builders import R, doc, frame, pairs_of
from typer.testing import CliRunner

from imsrecon.cli.app import app
from imsrecon.config import MatchConfig
from imsrecon.importers.base import ImportOptions
from imsrecon.importers.register import RegisterImporter
from imsrecon.importers.register_lines import lines_are_the_norm
from imsrecon.normalise.docno import normalise_doc_no
from imsrecon.reconcile import reconcile

SUPPLIERS = [("27AAPFU0939F1ZV", "M/s. Alpha Traders", "27"), ("29AAGCB1286Q1Z0", "BETA CORP (KA)", "29"),
             ("27AAECK5678M1ZQ", "Kappa Industries & Co.", "27"), ("24AAFCL9012P1Z2", "Lambda Sons", "24")]
TITLE = "Acme Traders Pvt Ltd\nPurchase Register (line view)\n1-Apr-2025 to 30-Jun-2025\n,,,,,,,,\n"
HEADER = "Supplier Name,GSTIN/UIN,Bill No,Bill Date,Taxable Amt,CGST Amt,SGST Amt,IGST Amt,Bill Amount\n"


def _money(rng: random.Random, value: float) -> str:
    """An amount as books write it: plain, with lakh grouping, or with two decimals."""
    text = f"{value:.2f}"
    if value >= 100000 and rng.random() < 0.5:
        whole, dec = text.split(".")
        head, tail = whole[:-3], whole[-3:]
        groups = [head[max(0, i - 2):i] for i in range(len(head), 0, -2)][::-1]
        text = ",".join([*groups, tail]) + "." + dec
    elif value.is_integer() and rng.random() < 0.5:
        text = str(int(value))
    return f'"{text}"' if "," in text else text


def line_wise_register(seed: int, invoices: int) -> tuple[str, dict, str]:
    """A line-wise register (no voucher, rate or item column) of ``invoices`` invoices of 1-5 lines,
    with title rows, a blank row, lakh grouping, a nil-rated line on some taxed invoices, one
    invoice booked twice line for line, and a totals row; and the expected documents: number ->
    (taxable value of the taxed lines, cgst, sgst, igst, nil-rated value, times booked)."""
    rng = random.Random(seed)
    lines, expected = [], {}
    for k in range(invoices):
        gstin, name, state = SUPPLIERS[k % len(SUPPLIERS)]
        number = f"{['INV', 'AT', 'B'][k % 3]}/{25 + k // 90}-26/{k + 1:04d}"
        date = f"{1 + k % 28:02d}-0{4 + k % 3}-2025"
        local = state == "27"
        taxable = cgst = sgst = igst = nil = 0.0
        rows = []
        for _ in range(rng.choice([1, 2, 2, 3, 3, 4, 5])):
            value = round(rng.uniform(500, 250000), 2)
            rate = rng.choice([5, 12, 18, 28])
            tax = round(value * rate / 100, 2)
            c, s, i = (round(tax / 2, 2), round(tax / 2, 2), 0.0) if local else (0.0, 0.0, tax)
            rows.append((value, c, s, i))
            taxable, cgst, sgst, igst = taxable + value, cgst + c, sgst + s, igst + i
        if len(rows) > 1 and rng.random() < 0.15:  # an exempt line beside the taxed ones
            value = round(rng.uniform(100, 9000), 2)
            rows.insert(rng.randrange(len(rows) + 1), (value, 0.0, 0.0, 0.0))
            nil = value
        total = round(taxable + nil + cgst + sgst + igst, 2)
        booked = 2 if k == 7 else 1  # booked twice, every line again
        for _ in range(booked):
            for value, c, s, i in rows:
                cells = [name, gstin, number if rng.random() < 0.9 else f" {number.lower()} ", date,
                         _money(rng, value), _money(rng, c) if local else "", _money(rng, s) if local else "",
                         "" if local else _money(rng, i), _money(rng, total)]
                lines.append(",".join(cells))
        expected[number] = (round(taxable, 2), round(cgst, 2), round(sgst, 2), round(igst, 2), nil, booked)
        if k == invoices // 2:
            lines.append(",,,,,,,,")  # a blank row in the middle
    body = "\n".join(lines) + "\nTotal,,,,,,,,\n"
    return TITLE + HEADER + body, expected, HEADER


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_line_wise_register_sums_the_lines_of_each_document(tmp_path, seed):
    text, expected, _ = line_wise_register(seed, invoices=110)
    path = tmp_path / "lines.csv"
    path.write_text(text, encoding="utf-8")
    result = RegisterImporter().read(path, ImportOptions(recipient_gstin=R))
    docs = result.documents
    assert not result.errors
    lines = sum(1 for i in result.issues if i.code == "total_row") + docs.height  # sanity of the fixture
    assert result.rows_read > 250 and lines < result.rows_read  # a few hundred lines, far fewer documents
    assert docs.height == sum(e[5] for e in expected.values())  # one document per booking
    got = docs.group_by("doc_no_norm").agg(
        pl.col("taxable_value").first(), pl.col("cgst").first(), pl.col("sgst").first(), pl.col("igst").first(),
        pl.col("nil_rated_value").first(), pl.len().alias("booked"))
    by_number = {r["doc_no_norm"]: r for r in got.iter_rows(named=True)}
    for number, (taxable, cgst, sgst, igst, nil, booked) in expected.items():
        row = by_number[normalise_doc_no(number)]
        assert (row["taxable_value"], row["cgst"], row["sgst"], row["igst"]) == pytest.approx(
            (taxable, cgst, sgst, igst), abs=0.011), number
        assert (row["nil_rated_value"] or 0.0) == pytest.approx(nil, abs=0.001) and row["booked"] == booked, number
    assert any(i.code == "line_wise" for i in result.issues)


def test_line_wise_documents_reconcile_and_the_double_booking_stays_a_duplicate(tmp_path):
    text, expected, _ = line_wise_register(4, invoices=60)
    path = tmp_path / "lines.csv"
    path.write_text(text, encoding="utf-8")
    pr = RegisterImporter().read(path, ImportOptions(recipient_gstin=R)).documents
    ims = []
    for k, (number, (taxable, cgst, sgst, igst, _nil, _booked)) in enumerate(expected.items()):
        first = pr.filter(pl.col("doc_no_norm") == normalise_doc_no(number)).row(0, named=True)
        ims.append(doc("ims", number, date=str(first["doc_date"]), supplier=first["supplier_gstin"], tv=taxable,
                       cgst=cgst, sgst=sgst, igst=igst, row=k + 1))
    result = reconcile(frame(ims), pr, MatchConfig()).result
    statuses = {s: st for s, (st, _) in pairs_of(result).items()}
    assert set(statuses.values()) == {"exact"}, {k: v for k, v in statuses.items() if v != "exact"}
    duplicates = result.filter(pl.col("match_status") == "duplicate")
    assert duplicates.height == 1 and duplicates["recommendation_rule"].to_list() == ["booked_twice"]
    nil_pairs = result.filter(pl.col("pr_nil_rated_value").is_not_null() & pl.col("ims_doc_no").is_not_null())
    assert nil_pairs.height == sum(1 for e in expected.values() if e[4]) > 0
    assert all("nil_rated=" in c for c in nil_pairs["comparison"])


def test_a_register_with_a_document_booked_in_parts_is_not_read_as_line_wise(tmp_path):
    """Repeats are the exception (one invoice booked against two goods receipts among 40 invoices):
    the rows stay apart and matching pairs them as a document booked in parts."""
    rows = [f"Alpha Traders,27AAPFU0939F1ZV,AT/{k:03d},{1 + k % 28:02d}-04-2025,{1000 + k}.00,"
            f"{(1000 + k) * 0.09:.2f},{(1000 + k) * 0.09:.2f},,{(1000 + k) * 1.18:.2f}" for k in range(40)]
    rows += ["Alpha Traders,27AAPFU0939F1ZV,AT/077,05-05-2025,\"6,000.00\",540.00,540.00,,\"11,800.00\"",
             "Alpha Traders,27AAPFU0939F1ZV,at-077 ,05-05-2025,\"4,000.00\",360.00,360.00,,\"11,800.00\""]
    path = tmp_path / "parts.csv"
    path.write_text(TITLE + HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    result = RegisterImporter().read(path, ImportOptions(recipient_gstin=R))
    assert result.documents.height == 42 and not any(i.code in ("line_wise", "lines_summed") for i in result.issues)
    ims = [doc("ims", f"AT/{k:03d}", date=f"2025-04-{1 + k % 28:02d}", tv=1000.0 + k, cgst=round((1000 + k) * 0.09, 2),
               sgst=round((1000 + k) * 0.09, 2), row=k + 1) for k in range(40)]
    ims.append(doc("ims", "AT/077", date="2025-05-05", tv=10000.0, cgst=900.0, sgst=900.0, row=41))
    out = reconcile(frame(ims), result.documents, MatchConfig()).result
    pair = out.filter(pl.col("ims_doc_no") == "AT/077").row(0, named=True)
    assert pair["match_status"] == "exact" and pair["comparison"].endswith("booked_in_parts=2")
    part = out.filter(pl.col("match_status") == "duplicate").row(0, named=True)
    assert part["recommendation_rule"] == "part_of_document" and part["pr_row"] == 42


@pytest.mark.parametrize(
    ("documents", "multi_line", "line_wise"),
    [
        (10, 0, False),  # no repeats
        (10, 1, False),  # one document in parts: the exception
        (10, 3, False),  # 6 of 13 rows: under half
        (10, 4, True),  # 8 of 14 rows: half or more
        (2, 2, True),  # every document line-wise
        (1, 1, False),  # one document alone cannot make repeats the norm
    ],
)
def test_repeats_are_the_norm_from_half_of_the_rows(documents, multi_line, line_wise):
    rows = []
    for k in range(documents):
        rows.append(doc("pr", f"N-{k}", tv=100.0 + k, row=len(rows) + 1))
        if k < multi_line:
            rows.append(doc("pr", f"N-{k}", tv=50.0 + k, row=len(rows) + 1))
    docs = frame(rows).with_columns(pl.lit(None, pl.String).alias("src_sheet"))
    assert lines_are_the_norm(docs)[0] is line_wise


RATE_HEADER = ("GSTIN/UIN of Supplier,Invoice Number,Invoice Date,Invoice Value,Place Of Supply,Rate,"
               "Taxable Value,Integrated Tax Paid,Central Tax Paid,State/UT Tax Paid,Cess Paid\n")


@pytest.mark.parametrize(
    ("rate", "tax", "nil"),
    [("0", 0, 5900.0), ("0%", 0, 5900.0), ("0.00", 0, 5900.0), ("Nil", 0, 5900.0), ("EXEMPT", 0, 5900.0),
     ("-", 0, 5900.0), ("Non-GST", 0, 5900.0),
     ("12", 0, None),  # taxed at 12 % but no tax booked: a booking slip, not a nil-rated line
     ("5", 295.0, None)],
)
def test_which_lines_are_nil_rated(tmp_path, rate, tax, nil):
    path = tmp_path / "rates.csv"
    path.write_text(RATE_HEADER
                    + '27AAPFU0939F1ZV,MU/77,12-Jul-2025,"1,23,900.00",27-Maharashtra,18,"1,00,000.00",0,"9,000.00","9,000.00",0\n'
                    + f'27AAPFU0939F1ZV,MU/77,12-Jul-2025,"1,23,900.00",27-Maharashtra,{rate},"5,900.00",0,{tax / 2},{tax / 2},0\n')
    docs = RegisterImporter().read(path, ImportOptions()).documents
    row = docs.row(0, named=True)
    assert docs.height == 1 and row["nil_rated_value"] == nil
    assert row["taxable_value"] == (100000.0 if nil else 105900.0)
    assert ("nil_rated_lines" in row["flags"]) is (nil is not None)


def test_an_invoice_with_a_nil_rated_line_reconciles_exact_end_to_end(tmp_path):
    """IMS carries the taxed lines only: the register's 0 % line is kept out of the compared taxable
    value, shown in the result and in the comparison, and the invoice is accepted."""
    ims = tmp_path / "ims.json"
    ims.write_text(json.dumps({"status_cd": "1", "data": {"b2b": [
        {"stin": "27AAPFU0939F1ZV", "inum": "MU/77", "idt": "12-07-2025", "val": 123900, "pos": "27", "inv_typ": "R",
         "txval": 100000, "iamt": 0, "camt": 9000, "samt": 9000, "cess": 0, "action": "N", "ispendactblocked": "N",
         "srcform": "R1", "rtnprd": "072025", "srcfilstatus": "Filed"}]}}))
    pr = tmp_path / "pr.csv"
    pr.write_text(RATE_HEADER
                  + '27AAPFU0939F1ZV,MU/77,12-Jul-2025,"1,23,900.00",27-Maharashtra,18,"1,00,000.00",0,"9,000.00","9,000.00",0\n'
                  + '27AAPFU0939F1ZV,MU/77,12-Jul-2025,"1,23,900.00",27-Maharashtra,0,"5,900.00",0,0,0,0\n')
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(app, ["reconcile", "--ims", str(ims), "--pr", str(pr), "--gstin", "27AAACR5055K1Z7",
                                      "--out", str(out), "--db", ":memory:"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    row = pl.read_csv(out, infer_schema=False).row(0, named=True)
    assert (row["match_status"], row["recommended_action"], row["differences"] or "") == ("exact", "Accept", "")
    assert float(row["pr_taxable_value"]) == 100000.0 and float(row["pr_nil_rated_value"]) == 5900.0
    assert row["comparison"].endswith("taxable_value=equal igst=equal cgst=equal sgst=equal cess=equal nil_rated=5900.0")
