"""Deterministic demo and benchmark data: an IMS download, the purchase register that goes with it,
and the ground truth a reconciliation should reach.

    data = generate(n_ims=1000, seed=7)
    paths = data.write(Path("demo"))  # ims.json, purchase_register.csv, truth.csv

Same arguments, same seed: byte-identical output. Generation is vectorised (NumPy / Polars);
only the few documents that get a number trap are edited one by one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from imsrecon.demo.documents import (
    EPOCH,
    assign_numbers,
    fix_styles,
    make_documents,
    stochastic_count,
    universe_keys,
)  # fmt: skip
from imsrecon.demo.layouts import LAYOUTS, layout_spec
from imsrecon.demo.messiness import TRAP_STATUS, Messiness
from imsrecon.demo.register import register_rows, register_text
from imsrecon.demo.suppliers import make_suppliers
from imsrecon.demo.traps import HEADS, Plan, plan_register, pre_number_traps, trap_counts
from imsrecon.normalise.gstin import gstin_problem
from imsrecon.sections import SECTIONS

__all__ = ["DemoData", "Messiness", "TRUTH_SCHEMA", "generate", "LAYOUTS"]

TRUTH_SCHEMA: dict[str, pl.DataType] = {
    "expected_status": pl.String,
    "ims_section": pl.String,
    "ims_supplier_gstin": pl.String,
    "ims_doc_no": pl.String,
    "pr_row": pl.Int64,
    "expected_differences": pl.String,
    "trap": pl.String,
}
DIFF_FIELDS = ("supplier_gstin", "doc_date", "taxable_value", "igst", "cgst", "sgst", "cess")
ROUNDING_TOLERANCE = 1.0  # rupees per head: differences up to this are not differences
_HEAD_FIELD = {"txval": "taxable_value", "iamt": "igst", "camt": "cgst", "samt": "sgst", "cess": "cess"}
_SECTION_ORDER = {k: i for i, k in enumerate(SECTIONS)}
_COMPANY_WORDS = dict(zip(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    ("Aarav", "Bharat", "Chetak", "Deccan", "Ekta", "Falcon", "Ganga", "Himalaya", "Indus", "Jyoti",
     "Kaveri", "Lotus", "Meghdoot", "Narmada", "Orchid", "Padma", "Quality", "Rajhans", "Sahyadri",
     "Tapti", "Udaan", "Vindhya", "Western", "Xpress", "Yamuna", "Zenith"),
    strict=True,
))  # fmt: skip
DEFAULT_MIX = Messiness()
_HOLDER_SUFFIX = {"C": "Private Limited", "F": "& Co.", "P": "Enterprises", "H": "& Sons"}


@dataclass
class DemoData:
    ims_payload: dict[str, Any]
    pr: pl.DataFrame
    truth: pl.DataFrame
    layout: str = "tally"
    recipient_gstin: str = ""
    company_name: str = ""
    seed: int = 0
    mix: Messiness = field(default_factory=Messiness)

    def write(self, dir: Path, pr_format: str = "csv") -> dict[str, Path]:  # noqa: A002 - the API's name
        """Write ims.json, purchase_register.csv (or .xlsx) and truth.csv into ``dir``."""
        from imsrecon.demo.writers import write_ims_json, write_pr, write_truth

        if pr_format not in ("csv", "xlsx"):
            raise ValueError(f"pr_format must be 'csv' or 'xlsx', not {pr_format!r}")
        out = Path(dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = {
            "ims": out / "ims.json",
            "pr": out / f"purchase_register.{pr_format}",
            "truth": out / "truth.csv",
        }
        write_ims_json(self.ims_payload, paths["ims"])
        write_pr(self.pr, paths["pr"], self.layout, company=self.company_name)
        write_truth(self.truth, paths["truth"])
        return paths


def company_name(recipient_gstin: str) -> str:
    pan = recipient_gstin[2:12]
    word = _COMPANY_WORDS.get(pan[4:5], "Demo")
    return f"{word} Industries {_HOLDER_SUFFIX.get(pan[3:4], 'Enterprises')}"


def generate(
    n_ims: int = 1000, seed: int = 7, recipient_gstin: str = "27AAPFU0939F1ZV",
    mix: Messiness | None = DEFAULT_MIX, layout: str = "tally",
) -> DemoData:
    """An IMS payload with ``n_ims`` records, the matching purchase register and the truth."""
    mix = Messiness() if mix is None else mix
    spec = layout_spec(layout)
    if not isinstance(n_ims, int) or n_ims < 1:
        raise ValueError(f"n_ims must be a whole number of at least 1, not {n_ims!r}")
    recipient_gstin = recipient_gstin.strip().upper()
    problem = gstin_problem(recipient_gstin)
    if problem:
        raise ValueError(f"recipient GSTIN {recipient_gstin!r}: {problem}")
    rng = np.random.default_rng(seed)
    counts = trap_counts(rng, mix, n_ims)
    n_recurring = min(counts.pop("recurring_amount"), n_ims)
    n_pr_only = stochastic_count(rng, mix.missing_in_ims, n_ims)
    n_rcm = stochastic_count(rng, mix.reverse_charge, n_ims) if spec.has("reverse_charge") else 0
    n_groups = max(2, round(2.2 * math.sqrt(n_ims + n_pr_only)))
    sup = make_suppliers(
        rng, n_groups, recipient_gstin[:2], n_recurring=math.ceil(n_recurring / 12),
        n_rcm=max(1, min(12, n_rcm // 25 + 1)) if n_rcm else 0, n_eco=1 if n_ims < 300 else 2,
    )
    docs = make_documents(rng, sup, n_ims, n_recurring, n_pr_only, n_rcm, recipient_gstin[:2])
    docs = pre_number_traps(rng, docs, sup, mix, counts, n_ims)
    sup = fix_styles(sup, docs)
    docs = assign_numbers(rng, sup, docs)
    plan = plan_register(rng, docs, sup, counts, spec, universe_keys(docs))
    rows = register_rows(rng, docs, sup, plan)
    pr = register_text(rng, rows, spec, mix)
    payload, ims_order = _ims_payload(rng, docs)
    truth = _truth(docs, sup, plan, rows, ims_order)
    return DemoData(payload, pr, truth, layout, recipient_gstin, company_name(recipient_gstin), seed, mix)


def _months(days: np.ndarray) -> np.ndarray:
    return (np.datetime64("1970-01-01") + days.astype("timedelta64[D]")).astype("datetime64[M]").astype(np.int64)


def _ims_payload(rng: np.random.Generator, docs: pl.DataFrame) -> tuple[dict[str, Any], np.ndarray]:
    ims = docs.filter(pl.col("kind") == "ims")
    n = ims.height
    amend = ims["amend"].to_numpy() > 0
    family = ims["family"].to_numpy()
    delay = rng.choice([0, 1, 2], size=n, p=[0.85, 0.12, 0.03]) + np.where(amend, rng.integers(1, 4, size=n), 0)
    period = _months(ims["days"].to_numpy()) + delay  # months since 1970-01
    srcform = np.where(
        amend, np.where(rng.random(n) < 0.7, "R1", "R1A"),
        np.array(["R1", "IFF", "R1A"])[rng.choice(3, size=n, p=[0.85, 0.12, 0.03])],
    )
    action = np.array(["N", "A", "P", "R"])[rng.choice(4, size=n, p=[0.78, 0.14, 0.05, 0.03])]
    oct_2025 = (2025 - 1970) * 12 + 9
    blocked = ((family == 1) & (period < oct_2025)) | (rng.random(n) < 0.04)
    action = np.where(blocked & (action == "P"), "A", action)
    hashes = rng.bytes(32 * n).hex()
    p = pl.col("_period")
    frame = ims.with_columns(pl.Series("_period", period, dtype=pl.Int64)).with_columns(
        pl.format("{}{}", (p % 12 + 1).cast(pl.String).str.zfill(2), p // 12 + 1970).alias("rtnprd"),
        pl.Series("srcform", srcform.tolist(), dtype=pl.String),
        pl.Series("srcfilstatus", np.where(rng.random(n) < 0.88, "Filed", "Not Filed").tolist(), dtype=pl.String),
        pl.Series("action", action.tolist(), dtype=pl.String),
        pl.Series("ispendactblocked", np.where(blocked, "Y", "N").tolist(), dtype=pl.String),
        pl.Series("hash", [hashes[64 * i: 64 * i + 64] for i in range(n)], dtype=pl.String),
        (pl.lit(EPOCH) + pl.duration(days=pl.col("days"))).cast(pl.Date).dt.strftime("%d-%m-%Y").alias("date"),
        pl.col("section").replace_strict(_SECTION_ORDER, return_dtype=pl.Int64).alias("_sec"),
    ).sort(["_sec", "_period", "sup", "days", "doc"])
    order = frame["doc"].to_numpy()
    parts = frame.partition_by("section", as_dict=True, maintain_order=True)
    del frame
    data: dict[str, list[dict[str, Any]]] = {}
    for key in SECTIONS:
        part = parts.get((key,))
        if part is None or part.height == 0:
            continue
        sec = SECTIONS[key]
        cols: dict[str, list[Any]] = {"stin": _shared(part["gstin"])}
        if sec.orig_number_field:
            cols[sec.orig_number_field] = part["orig_number"].to_list()
            cols[sec.orig_date_field or ""] = _shared(part["date"])
        cols[sec.number_field] = part["number"].to_list()
        if not key.startswith("ecom"):
            cols["inv_typ"] = _shared(part["inv_typ"])
        cols[sec.date_field] = _shared(part["date"])
        cols["val"] = part["val"].to_list()
        cols["pos"] = _shared(part["pos"])
        for head in HEADS:
            cols[head] = part[head].to_list()
        for portal in ("srcform", "rtnprd", "srcfilstatus", "action", "ispendactblocked"):
            cols[portal] = _shared(part[portal])
        cols["hash"] = part["hash"].to_list()
        names = list(cols)
        data[key] = [dict(zip(names, values, strict=True)) for values in zip(*cols.values(), strict=True)]
    return {"status_cd": "1", "data": data}, order


def _shared(values: pl.Series) -> list[Any]:
    """A low-cardinality text column as a list whose equal values share one string object."""
    cats = values.drop_nulls().unique().sort().to_list()
    codes = values.cast(pl.Enum(cats)).to_physical().fill_null(len(cats)).to_numpy()
    return np.array([*cats, None], dtype=object)[codes].tolist()


def _truth(docs: pl.DataFrame, sup: pl.DataFrame, plan: Plan, rows: pl.DataFrame, ims_order: np.ndarray) -> pl.DataFrame:
    n = docs.height
    primary = rows.filter(~pl.col("is_dup") & ~pl.col("is_part"))
    pr_row = np.full(n, -1, dtype=np.int64)
    pr_row[primary["doc"].to_numpy()] = primary["pr_row"].to_numpy()
    booked = docs["booked"].to_numpy()
    days = docs["days"].to_numpy()
    sup_gstin = np.array(sup["gstin"].to_list(), dtype=object)
    own = docs["gstin"].to_numpy()
    diffs: dict[str, np.ndarray] = {
        "supplier_gstin": ~plan.gstin_blank & (sup_gstin[plan.pr_sup] != own),
        "doc_date": np.where(plan.date_blank, plan.vdays, plan.pr_days) != days,
    }
    for head, fld in _HEAD_FIELD.items():
        diffs[fld] = np.abs(plan.amounts[head] - docs[head].to_numpy()) > ROUNDING_TOLERANCE + 1e-6
    names = sorted(DIFF_FIELDS)
    diff_frame = pl.DataFrame({f: np.where(diffs[f], f, None).tolist() for f in names},
                              schema={f: pl.String for f in names})
    diff_text = diff_frame.select(pl.concat_str(names, separator=";", ignore_nulls=True).alias("d"))["d"].to_numpy()
    trap = plan.trap
    status = np.array([TRAP_STATUS.get(t, "exact") if t else "exact" for t in trap], dtype=object)
    status[status == "duplicate"] = "exact"
    derived = status == "derived"
    status[derived] = np.where(diff_text[derived] != "", "mismatch", "exact")
    status[~booked] = "missing_in_pr"
    diff_text = np.where(booked, diff_text, "")
    o = ims_order
    ims_part = pl.DataFrame({
        "expected_status": status[o].tolist(),
        "ims_section": docs["section"].gather(o),
        "ims_supplier_gstin": docs["gstin"].gather(o),
        "ims_doc_no": docs["number"].gather(o),
        "pr_row": pl.Series(pr_row[o]).replace(-1, None),
        "expected_differences": diff_text[o].tolist(),
        "trap": [trap[i] if booked[i] else "" for i in o.tolist()],
    }, schema=TRUTH_SCHEMA)
    kind = docs["kind"].to_numpy()
    extra = rows.filter(pl.col("is_dup") | pl.col("is_part") | pl.Series(kind[rows["doc"].to_numpy()] != "ims"))
    k = kind[extra["doc"].to_numpy()]
    part = extra["is_part"].to_numpy()
    dup = extra["is_dup"].to_numpy() | part
    pr_part = pl.DataFrame({
        "expected_status": np.where(dup, "duplicate", np.where(k == "rcm", "reverse_charge", "missing_in_ims")).tolist(),
        "ims_section": [None] * extra.height,
        "ims_supplier_gstin": [None] * extra.height,
        "ims_doc_no": [None] * extra.height,
        "pr_row": extra["pr_row"],
        "expected_differences": [""] * extra.height,
        "trap": np.where(part, "booked_in_parts", np.where(dup, "booked_twice", "")).tolist(),
    }, schema=TRUTH_SCHEMA)
    return pl.concat([ims_part, pr_part])
