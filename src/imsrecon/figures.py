"""Figures for the user from a reconciliation result (:data:`imsrecon.result.RESULT_SCHEMA`).

**ITC** of a row is IGST + CGST + SGST + cess: of the IMS side, or of the register side for rows
without an IMS document (``missing_in_ims``, ``duplicate``). Credit notes reduce ITC, so their
amounts count negative (``doc_class``); amounts are taken unsigned first, whichever sign the books
used.

**Categories** are exclusive, checked in this order:

- ``at_risk``: ``mismatch``, ``missing_in_ims`` and ``duplicate`` rows — booked in the books but not
  safely in IMS (a mismatch is at risk whatever action is recommended; the second booking of a
  duplicate claims credit that no IMS document backs);
- ``available``: recommended Accept; ``rejected``: recommended Reject; ``pending``: recommended
  Pending;
- ``other``: anything else (a result without recommendations); listed only when not empty.

Register rows of other tax periods (``other_period``: outside the books' period of the run) are
not this period's ITC and are left out of the figures and the follow-ups.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal

import polars as pl

from imsrecon.match.parts import is_part
from imsrecon.result import MatchStatus, conform_result
from imsrecon.sections import DocClass

__all__ = ["CATEGORIES", "followup_mail", "format_inr", "itc_figures", "one_line", "supplier_followups"]

CATEGORIES = ("available", "at_risk", "rejected", "pending")
OTHER = "other"
_HEADS = ("taxable_value", "igst", "cgst", "sgst", "cess")
_TAX_HEADS = ("igst", "cgst", "sgst", "cess")
_REGISTER_ONLY = [MatchStatus.MISSING_IN_IMS.value, MatchStatus.DUPLICATE.value]
_AT_RISK = [MatchStatus.MISMATCH.value, *_REGISTER_ONLY]
_BY_ACTION = {"Accept": "available", "Reject": "rejected", "Pending": "pending"}
_CLASS_LABEL = {DocClass.INVOICE.value: "Invoice", DocClass.CREDIT_NOTE.value: "Credit note",
                DocClass.DEBIT_NOTE.value: "Debit note"}  # fmt: skip


def format_inr(amount: float | int | Decimal | None) -> str:
    """Rupees in the Indian grouping: ``118000`` -> ``₹1,18,000.00``, ``-1180`` -> ``-₹1,180.00``.

    Rounded half up to the paisa (on the decimal value as written, so ``2.675`` -> ``₹2.68``).
    """
    if amount is None:
        return "–"
    value = Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = "-" if value < 0 else ""
    rupees, paise = f"{abs(value):.2f}".split(".")
    head, tail = rupees[:-3], rupees[-3:]
    groups = []
    while head:
        groups.insert(0, head[-2:])
        head = head[:-2]
    return f"{sign}₹{','.join([*groups, tail])}.{paise}"


def _signed(result: pl.DataFrame) -> pl.DataFrame:
    """Adds supplier_gstin, category and the signed heads, tax and itc of each row."""
    register_only = pl.col("match_status").is_in(_REGISTER_ONLY)
    sign = pl.when(pl.col("doc_class") == DocClass.CREDIT_NOTE.value).then(-1.0).otherwise(1.0)
    heads = [
        (pl.when(register_only).then(pl.col(f"pr_{h}")).otherwise(pl.col(f"ims_{h}")).abs().fill_null(0.0) * sign)
        .alias(h)
        for h in _HEADS
    ]
    # what will hold on the portal: the recommendation, or the portal's own action where nothing
    # is to change (a document already accepted needs no recommendation to count as available)
    portal = pl.col("ims_action").str.to_uppercase().replace_strict(
        {"A": "Accept", "R": "Reject", "P": "Pending"}, default=None, return_dtype=pl.String)
    action = pl.when(pl.col("recommended_action").fill_null("") != "").then(pl.col("recommended_action")).otherwise(portal)
    category = pl.when(pl.col("match_status").is_in(_AT_RISK)).then(pl.lit("at_risk"))
    for word, name in _BY_ACTION.items():
        category = category.when(action == word).then(pl.lit(name))
    return conform_result(result).with_columns(
        *heads,
        category.otherwise(pl.lit(OTHER)).alias("category"),
        pl.when(register_only)
        .then(pl.coalesce("pr_supplier_gstin", "ims_supplier_gstin"))
        .otherwise(pl.coalesce("ims_supplier_gstin", "pr_supplier_gstin"))
        .alias("supplier_gstin"),
    ).with_columns(pl.sum_horizontal(*_TAX_HEADS).alias("itc"))


def itc_figures(result: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """``by_category``: one row per category (documents, heads, itc); ``by_supplier``: per supplier
    GSTIN, the ITC of each category, sorted by ITC at risk (largest first)."""
    # a part's amounts are in its document's pair; other periods' rows are not this period's ITC
    rows = _signed(result).filter(~is_part() & (pl.col("match_status") != MatchStatus.OTHER_PERIOD.value))
    sums = [pl.len().cast(pl.Int64).alias("documents"), *(pl.col(h).sum().round(2) for h in (*_HEADS, "itc"))]
    got = rows.group_by("category").agg(sums)
    present = set(got["category"].to_list())
    order = [*CATEGORIES, *([OTHER] if OTHER in present else [])]
    by_category = (
        pl.DataFrame({"category": order})
        .join(got, on="category", how="left", maintain_order="left")
        .with_columns(pl.col("documents").fill_null(0), *(pl.col(h).fill_null(0.0) for h in (*_HEADS, "itc")))
    )
    columns = [*CATEGORIES, *([OTHER] if OTHER in present else [])]
    by_supplier = rows.group_by("supplier_gstin").agg(
        pl.col("pr_supplier_name").drop_nulls().first().alias("supplier_name"),
        pl.len().cast(pl.Int64).alias("documents"),
        *(pl.col("itc").filter(pl.col("category") == c).sum().round(2).alias(c) for c in columns),
        pl.col("itc").sum().round(2).alias("itc_total"),
    )
    by_supplier = by_supplier.sort(["at_risk", "itc_total", "supplier_gstin"], descending=[True, True, False],
                                   nulls_last=True)  # fmt: skip
    return {"by_category": by_category, "by_supplier": by_supplier}


FOLLOWUP_COLUMNS = [
    "supplier_gstin", "supplier_name", "doc_class", "doc_no", "doc_date", "taxable_value", "igst", "cgst", "sgst",
    "cess", "tax", "matching_key", "pr_file", "pr_row", "supplier_documents", "supplier_taxable_value", "supplier_tax",
]  # fmt: skip


def supplier_followups(result: pl.DataFrame) -> pl.DataFrame:
    """One row per register document missing in IMS, with its supplier's count and totals.

    Amounts are signed (credit notes negative) so that the totals are the net ITC at risk.
    Suppliers come in order of tax at risk (largest first), documents by date and number.
    """
    rows = _signed(result).filter(pl.col("match_status") == MatchStatus.MISSING_IN_IMS.value)
    rows = rows.with_columns(
        pl.col("pr_supplier_name").drop_nulls().first().over("supplier_gstin").alias("supplier_name"),
        pl.col("pr_doc_no").alias("doc_no"),
        pl.col("pr_doc_date").alias("doc_date"),
        pl.col("itc").alias("tax"),
    ).with_columns(
        pl.len().over("supplier_gstin").cast(pl.Int64).alias("supplier_documents"),
        pl.col("taxable_value").sum().over("supplier_gstin").round(2).alias("supplier_taxable_value"),
        pl.col("tax").sum().over("supplier_gstin").round(2).alias("supplier_tax"),
    )
    return rows.sort(
        ["supplier_tax", "supplier_gstin", "doc_date", "doc_no", "pr_row"],
        descending=[True, False, False, False, False],
        nulls_last=True,
    ).select(FOLLOWUP_COLUMNS)


# Bidirectional embeddings, overrides and isolates: text shown in another order than it is read
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def one_line(text: object) -> str:
    """``text`` as one line of plain text for a mail draft: every control character (CR, LF,
    NUL, ESC, NEL, the C1 set …), the Unicode line and paragraph separators and the bidi
    overrides become a space, runs of spaces one. So a supplier name or company read from a
    file ("Alpha\r\nBcc: …") can never start a header line of its own. Joiners that Indic
    scripts need (ZWJ, ZWNJ) stay."""
    chars = (" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") or c in _BIDI_CONTROLS else c for c in str(text))
    return re.sub(r"\s+", " ", "".join(chars)).strip()


def _date(value: dt.date | None) -> str:
    return value.strftime("%d-%m-%Y") if value else "(date not recorded)"


def followup_mail(supplier_rows: pl.DataFrame, recipient_gstin: str, company: str | None = None) -> str:
    """A plain-text mail asking one supplier to report the listed documents in GSTR-1/IFF.

    ``supplier_rows``: the rows of :func:`supplier_followups` for one supplier GSTIN. Names,
    numbers and the company go in through :func:`one_line`: only the draft's own lines break.
    """
    if supplier_rows.is_empty():
        raise ValueError("no documents to follow up")
    gstins = supplier_rows["supplier_gstin"].unique().to_list()
    if len(gstins) != 1:
        raise ValueError(f"the rows belong to {len(gstins)} suppliers: write one mail per supplier")
    # every text from a file or the command line goes in as one line (see one_line)
    gstin = one_line(gstins[0]) if gstins[0] is not None else None
    name = next((one_line(n) for n in supplier_rows["supplier_name"].drop_nulls().to_list() if one_line(n)), None)
    recipient_gstin = one_line(recipient_gstin)
    company = one_line(company) if company is not None else None
    docs = supplier_rows.to_dicts()
    n = len(docs)
    plural = "s" if n > 1 else ""
    these = "these documents" if n > 1 else "this document"
    supplier = " ".join(p for p in (name, f"(GSTIN {gstin})" if gstin else None) if p) or "Supplier"

    lines = [
        f"To: {supplier}",
        f"Subject: Document{plural} not reported in GSTR-1/IFF against GSTIN {recipient_gstin}",
        "",
        "Dear Sir/Madam,",
        "",
        f"We have recorded the following {'document' if n == 1 else f'{n} documents'} from you in our books, "
        f"but {'it does' if n == 1 else 'they do'} not appear in our Invoice Management System (IMS) on the GST "
        f"portal. This means {'it has' if n == 1 else 'they have'} not been reported against our GSTIN "
        f"{recipient_gstin} in your GSTR-1 or IFF, and we cannot claim the input tax credit on "
        f"{'it' if n == 1 else 'them'}:",
        "",
    ]
    for i, d in enumerate(docs, 1):
        label = _CLASS_LABEL.get(d["doc_class"] or "", "Document")
        lines.append(
            f"  {i}. {label} {one_line(d['doc_no'] or '') or '(number not recorded)'} dated {_date(d['doc_date'])}: "
            f"taxable value {format_inr(abs(d['taxable_value'] or 0.0))}, tax {format_inr(abs(d['tax'] or 0.0))}"
        )
    if n > 1:
        net = " (credit notes deducted)" if any(d["doc_class"] == DocClass.CREDIT_NOTE.value for d in docs) else ""
        taxable = sum(d["taxable_value"] or 0.0 for d in docs)
        tax = sum(d["tax"] or 0.0 for d in docs)
        lines += ["", f"  Total{net}: taxable value {format_inr(round(taxable, 2))}, tax {format_inr(round(tax, 2))}"]
    lines += [
        "",
        f"Kindly report {these} in your next GSTR-1 or IFF against our GSTIN {recipient_gstin}. If any detail "
        "above differs from your records (number, date or amounts), please let us know so that we can correct "
        "our books.",
        "",
        "Thank you.",
        "",
        "Regards,",
        company or "Accounts team",
        f"GSTIN {recipient_gstin}",
    ]
    return "\n".join(lines) + "\n"
