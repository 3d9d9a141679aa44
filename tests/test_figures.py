"""Figures from a reconciliation result: ITC by category and supplier, follow-ups, the mail, ₹ format."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl
import pytest
from golden import assert_golden

from imsrecon.figures import CATEGORIES, followup_mail, format_inr, itc_figures, supplier_followups
from imsrecon.result import conform_result

R = "27AAPFU0939F1ZV"
S1 = "27AAPFU0939F1ZV"
S2 = "29AAGCB1286Q1Z0"
S3 = "24AAACC1206D1ZM"


def row(status: str, action: str | None, cls: str = "invoice", supplier: str = S1, name: str | None = None,
        no: str = "INV-1", date: str = "2025-04-10", tv: float = 1000.0, igst: float = 0.0, cgst: float = 90.0,
        sgst: float = 90.0, cess: float = 0.0, pr_row: int = 1) -> dict:  # fmt: skip
    """One result row: IMS side unless the status is register-only, register side unless IMS-only."""
    d = dt.date.fromisoformat(date)
    values = {"taxable_value": tv, "igst": igst, "cgst": cgst, "sgst": sgst, "cess": cess}
    out = {"match_status": status, "recommended_action": action, "doc_class": cls, "recipient_gstin": R}
    if status not in ("missing_in_ims", "duplicate"):
        out |= {"ims_section": "b2bcn" if cls == "credit_note" else "b2b", "ims_supplier_gstin": supplier,
                "ims_doc_no": no, "ims_doc_date": d, **{f"ims_{k}": v for k, v in values.items()}}  # fmt: skip
    if status != "missing_in_pr":
        out |= {"pr_supplier_gstin": supplier, "pr_supplier_name": name, "pr_doc_no": no, "pr_doc_date": d,
                "pr_file": "books.csv", "pr_row": pr_row, **{f"pr_{k}": v for k, v in values.items()}}  # fmt: skip
    out["matching_key"] = f"{'PR/INV' if 'ims_section' not in out else 'IMS/B2B'}/{supplier}/{no}/2025-26"
    return out


def result(rows: list[dict]) -> pl.DataFrame:
    return conform_result(pl.DataFrame(rows, infer_schema_length=None))


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (0, "₹0.00"),
        (0.0, "₹0.00"),
        (1, "₹1.00"),
        (999.999, "₹1,000.00"),
        (1180, "₹1,180.00"),
        (99999.99, "₹99,999.99"),
        (100000, "₹1,00,000.00"),
        (118000, "₹1,18,000.00"),
        (12345678.9, "₹1,23,45,678.90"),
        (1_000_000_000, "₹1,00,00,00,000.00"),
        (2.675, "₹2.68"),  # half up on the amount as written, not on its binary approximation
        (0.005, "₹0.01"),
        (-1180, "-₹1,180.00"),
        (-118000.5, "-₹1,18,000.50"),
        (-12345678.9, "-₹1,23,45,678.90"),
        (-0.001, "₹0.00"),  # no negative zero
        (Decimal("1234.5"), "₹1,234.50"),
        (None, "–"),
    ],
)
def test_format_inr(amount, text):
    assert format_inr(amount) == text


MIXED = [
    row("exact", "Accept", no="I1", igst=180.0, cgst=0.0, sgst=0.0),  # available 180
    row("probable", "Accept", no="I2"),  # available 180
    row("exact", "Accept", cls="credit_note", no="C1", tv=100.0, cgst=9.0, sgst=9.0),  # available -18
    row("mismatch", "Pending", no="I3", cgst=45.0, sgst=45.0, cess=10.0),  # at risk 100
    row("missing_in_ims", "", supplier=S2, name="Bharat Traders", no="B1", tv=5000.0, igst=900.0, cgst=0.0,
        sgst=0.0),  # at risk 900 (register side)
    row("duplicate", "", no="I2", pr_row=2),  # at risk 180 (the second booking)
    row("missing_in_pr", "Pending", supplier=S3, no="P1"),  # pending 180
    row("missing_in_pr", "Reject", supplier=S3, no="P2", cgst=9.0, sgst=9.0),  # rejected 18
    row("missing_in_pr", "Pending", cls="credit_note", supplier=S3, no="PC1", cgst=5.0, sgst=5.0),  # pending -10
]


def test_itc_by_category_credit_notes_negative():
    by_category = itc_figures(result(MIXED))["by_category"]
    assert by_category.select("category", "documents", "itc").rows() == [
        ("available", 3, 342.0),
        ("at_risk", 3, 1180.0),
        ("rejected", 1, 18.0),
        ("pending", 2, 170.0),
    ]
    available = by_category.row(0, named=True)
    assert (available["taxable_value"], available["igst"], available["cgst"]) == (1900.0, 180.0, 81.0)
    assert by_category["cess"].to_list() == [0.0, 10.0, 0.0, 0.0]


def test_itc_categories_are_all_listed_and_other_only_when_needed():
    empty = itc_figures(result([]))["by_category"]
    assert empty["category"].to_list() == list(CATEGORIES)
    assert empty["itc"].to_list() == [0.0] * 4
    unrecommended = itc_figures(result([row("exact", None)]))["by_category"]
    assert unrecommended.filter(pl.col("category") == "other")["itc"].to_list() == [180.0]


def test_itc_signs_whatever_the_books_used():
    negative_books = row("missing_in_ims", "", cls="credit_note", tv=-100.0, cgst=-9.0, sgst=-9.0)
    assert itc_figures(result([negative_books]))["by_category"]["itc"].to_list() == [0.0, -18.0, 0.0, 0.0]


def test_itc_by_supplier():
    by_supplier = itc_figures(result(MIXED))["by_supplier"]
    assert by_supplier.columns == ["supplier_gstin", "supplier_name", "documents", *CATEGORIES, "itc_total"]
    assert by_supplier.rows() == [
        (S2, "Bharat Traders", 1, 0.0, 900.0, 0.0, 0.0, 900.0),
        (S1, None, 5, 342.0, 280.0, 0.0, 0.0, 622.0),
        (S3, None, 3, 0.0, 0.0, 18.0, 170.0, 188.0),
    ]


FOLLOWUP = [
    row("missing_in_ims", "", supplier=S1, name="Small Co", no="S-1", tv=1000.0, cgst=90.0, sgst=90.0),
    row("missing_in_ims", "", supplier=S2, name=None, no="B-2", date="2025-05-02", tv=100000.0, igst=18000.0,
        cgst=0.0, sgst=0.0, pr_row=3),
    row("missing_in_ims", "", supplier=S2, name="Bharat Traders", no="B-1", date="2025-04-15", tv=5000.0,
        igst=900.0, cgst=0.0, sgst=0.0, pr_row=2),
    row("missing_in_ims", "", supplier=S3, name="Credit Co", cls="credit_note", no="CN-1", tv=500.0, cgst=45.0,
        sgst=45.0),
    row("exact", "Accept", supplier=S3, no="X1"),  # not a follow-up
    row("duplicate", "", supplier=S3, no="X1", pr_row=9),  # booked twice: not the supplier's to report
]


def test_supplier_followups_order_and_totals():
    f = supplier_followups(result(FOLLOWUP))
    assert f.select("supplier_gstin", "doc_no", "tax").rows() == [
        (S2, "B-1", 900.0),  # documents by date within a supplier
        (S2, "B-2", 18000.0),
        (S1, "S-1", 180.0),
        (S3, "CN-1", -90.0),  # a missing credit note lowers the ITC at risk
    ]
    totals = f.unique("supplier_gstin", maintain_order=True).select(
        "supplier_gstin", "supplier_name", "supplier_documents", "supplier_taxable_value", "supplier_tax")
    assert totals.rows() == [
        (S2, "Bharat Traders", 2, 105000.0, 18900.0),  # the name of any row of the supplier
        (S1, "Small Co", 1, 1000.0, 180.0),
        (S3, "Credit Co", 1, -500.0, -90.0),
    ]
    assert f["doc_date"].to_list()[0] == dt.date(2025, 4, 15)


def test_followup_mail_for_two_documents():
    f = supplier_followups(result(FOLLOWUP))
    text = followup_mail(f.filter(pl.col("supplier_gstin") == S2), R, "Apex Engineering Pvt Ltd")
    assert "₹1,00,000.00" in text and "₹18,000.00" in text and "₹1,05,000.00" in text
    assert "B-1 dated 15-04-2025" in text
    assert_golden("figures_followup_mail", text.splitlines())


def test_followup_mail_for_one_document_without_company():
    f = supplier_followups(result(FOLLOWUP))
    text = followup_mail(f.filter(pl.col("supplier_gstin") == S3), R, None)
    assert "  1. Credit note CN-1 dated 10-04-2025: taxable value ₹500.00, tax ₹90.00" in text
    assert "Kindly report this document" in text and "Total" not in text
    assert text.rstrip().endswith(f"Accounts team\nGSTIN {R}")


def test_followup_mail_refuses_several_suppliers_or_none():
    f = supplier_followups(result(FOLLOWUP))
    with pytest.raises(ValueError, match="3 suppliers"):
        followup_mail(f, R, None)
    with pytest.raises(ValueError, match="no documents"):
        followup_mail(f.clear(), R, None)


def test_a_document_already_accepted_on_the_portal_counts_as_available():
    from imsrecon.figures import itc_figures
    from imsrecon.result import conform_result

    result = conform_result(pl.DataFrame({
        "match_status": ["exact"], "doc_class": ["invoice"], "ims_supplier_gstin": ["27AAPFU0939F1ZV"],
        "ims_igst": [180.0], "ims_cgst": [0.0], "ims_sgst": [0.0], "ims_cess": [0.0], "ims_taxable_value": [1000.0],
        "recommended_action": [""], "ims_action": ["A"],
    }))
    by = {r["category"]: r["itc"] for r in itc_figures(result)["by_category"].iter_rows(named=True)}
    assert by["available"] == 180.0


_BAD_TEXT = [  # (text from a file or the command line, what the draft shows of it)
    ("Alpha Traders\r\nBcc: attacker@example.com", "Alpha Traders Bcc: attacker@example.com"),
    ("Alpha Traders\nSubject: urgent: pay to account 123", "Alpha Traders Subject: urgent: pay to account 123"),
    ("Alpha\rTraders", "Alpha Traders"), ("Alpha\x85Traders", "Alpha Traders"),
    ("Alpha\u2028Traders", "Alpha Traders"), ("Alpha\u2029Traders", "Alpha Traders"),
    ("Alpha\x00Traders", "Alpha Traders"), ("Alpha\x1b[31mTraders", "Alpha [31mTraders"),
    ("Alpha\x0bTraders\x0c", "Alpha Traders"), ("Alpha\u202eTraders", "Alpha Traders"), ("\r\n\r\n", ""),
]


def _headers(text: str) -> list[str]:
    return text.split("\n\n", 1)[0].split("\n")


def _controls(text: str) -> set[str]:
    import unicodedata

    return {c for c in text if c != "\n" and (unicodedata.category(c) in ("Cc", "Zl", "Zp") or "\u202a" <= c <= "\u202e")}


@pytest.mark.parametrize(("bad", "shown"), _BAD_TEXT)
def test_mail_draft_text_cannot_start_a_header_line(bad, shown):
    rows = [row("missing_in_ims", None, supplier=S2, name=bad, no=f"B-1{bad}", pr_row=1)]
    f = supplier_followups(result(rows))
    text = followup_mail(f, R, f"Acme {bad} Pvt Ltd")
    headers = _headers(text)
    assert [h.split(":", 1)[0] for h in headers] == ["To", "Subject"]
    assert not _controls(text) and "\r" not in text
    assert headers[0] == (f"To: {shown} (GSTIN {S2})" if shown else f"To: (GSTIN {S2})")
    assert f"  1. Invoice {('B-1' + shown) if shown else 'B-1'} dated" in text
    assert text.rstrip().split("\n")[-2] == " ".join(f"Acme {shown} Pvt Ltd".split())


def test_mail_draft_keeps_indic_joiners():
    name = "श्री\u200dगणेश ट्रेडर्स"
    f = supplier_followups(result([row("missing_in_ims", None, supplier=S2, name=name)]))
    assert followup_mail(f, R, None).split("\n")[0] == f"To: {name} (GSTIN {S2})"
