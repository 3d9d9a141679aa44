"""How messy a demo data set is: one rate per trap, and the truth each trap implies.

Every rate is a share of ``n_ims`` (the number of IMS records): a rate of 0.02 with
``n_ims=1000`` aims at about 20 documents with that trap. Counts are drawn by stochastic
rounding, so small sets still get a trap now and then. A document carries at most one trap;
when too few documents are eligible for a trap (for example no supplier with branches, or no
credit notes), fewer are made. The trap's name is the label written to ``truth.trap``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

# trap label -> expected status of the IMS<->PR pair it applies to ("derived": computed from the
# data; "duplicate": the extra PR row is a duplicate, the pair itself is exact).
TRAP_STATUS: dict[str, str] = {
    # number traps
    "number_format": "exact",  # case, separators, spaces, leading zeros: removed by normalisation
    "spreadsheet_number": "exact",  # an all-digit number saved as a number: 0000123 written as 123.0
    "fy_token": "probable",  # 2025-26 / 25-26 / 2025/26 / 2025-2026 added, dropped or respelled
    "branch_prefix_dropped": "probable",  # "MH/25-26/077" booked as "25-26/077"
    "typo": "probable",  # one keystroke: neighbouring key, doubled or dropped character
    "transposed_digits": "probable",  # two adjacent digits swapped
    "transposed_digits_collision": "probable",  # ... giving another real invoice's number
    "typo_and_date": "mismatch",  # two slips in one booking: a typo in the number, the date a few days off
    "fy_token_and_value": "mismatch",  # the year left out or respelled, and the taxable value keyed differently
    "own_number": "probable",  # the books' goods-receipt or voucher number in place of the supplier's
    "number_remark": "probable",  # a remark typed after the number: "INV/77 dt 05.04.25", "INV/77 (cash)"
    "amendment_original_number": "probable",  # b2ba/cna/dna booked under the original number
    # value, date and GSTIN traps
    "rounding": "exact",  # <= Rs 0.99 per head
    "value_diff": "mismatch",  # > Rs 1 on taxable value and/or tax heads
    "date_diff": "mismatch",  # supplier date keyed a few days off
    "year_boundary_date": "mismatch",  # 30/31-Mar-2025 document booked as 1/2-Apr-2025
    "igst_as_cgst_sgst": "mismatch",  # same total tax, wrong heads
    "wrong_branch_gstin": "mismatch",  # booked under a sister registration (same PAN)
    "wrong_supplier": "mismatch",  # booked under another supplier altogether (the wrong ledger picked)
    "blank_doc_date": "derived",  # voucher date stands in: exact if equal, else mismatch doc_date
    "blank_gstin_filled": "exact",  # GSTIN blank, the party has it on other rows
    "negative_credit_note": "exact",  # credit note booked with negative amounts
    "booked_twice": "duplicate",  # the second PR row is a duplicate
    "booked_in_parts": "duplicate",  # booked as two rows whose amounts add up: the second is its part
    "recurring_amount": "exact",  # same amount billed every month (rent, retainer)
}

PROBABLE_NUMBER_TRAPS = (
    "fy_token", "branch_prefix_dropped", "typo", "transposed_digits", "transposed_digits_collision",
)  # fmt: skip


@dataclass(frozen=True)
class Messiness:
    """Rates (shares of ``n_ims``) of each kind of messiness. ``Messiness()`` is a realistic mix;
    ``Messiness.none()`` is a clean set: every IMS record booked once, verbatim."""

    # documents on one side only (no trap label: the status says it)
    missing_in_pr: float = 0.04  # IMS records never booked
    missing_in_ims: float = 0.03  # booked, never reported by the supplier
    reverse_charge: float = 0.01  # reverse-charge purchases (never in IMS)
    # number traps
    number_format: float = 0.08
    spreadsheet_number: float = 0.005
    fy_token: float = 0.02
    branch_prefix_dropped: float = 0.01
    typo: float = 0.01
    transposed_digits: float = 0.01
    transposed_digits_collision: float = 0.003
    typo_and_date: float = 0.003
    fy_token_and_value: float = 0.003
    own_number: float = 0.003
    number_remark: float = 0.003
    amendment_original_number: float = 0.005
    # value, date and GSTIN traps
    rounding: float = 0.03
    value_diff: float = 0.02
    date_diff: float = 0.02
    year_boundary_date: float = 0.003
    igst_as_cgst_sgst: float = 0.01
    wrong_branch_gstin: float = 0.01
    wrong_supplier: float = 0.002
    blank_doc_date: float = 0.03
    blank_gstin_filled: float = 0.01
    negative_credit_note: float = 0.015
    booked_twice: float = 0.01
    booked_in_parts: float = 0.005
    recurring_amount: float = 0.02
    # cosmetic: how cells are written; never changes the truth
    indian_grouping: float = 0.15  # "1,18,000.00" instead of "118000.00"
    slash_dates: float = 0.05  # supplier date as DD/MM/YYYY
    short_yes_no: float = 0.1  # reverse charge "Y"/"N" instead of "Yes"/"No"

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
                raise ValueError(f"Messiness.{f.name} must be a rate between 0 and 1, not {value!r}")

    @classmethod
    def none(cls) -> Messiness:
        """A clean set: no traps, nothing on one side only, uniform formatting."""
        return cls(**{f.name: 0.0 for f in fields(cls)})

    def with_rates(self, **rates: float) -> Messiness:
        return replace(self, **rates)

    def trap_rates(self) -> dict[str, float]:
        return {name: getattr(self, name) for name in TRAP_STATUS}


assert all(name in {f.name for f in fields(Messiness)} for name in TRAP_STATUS)
