"""The true documents behind a demo set: who issued what, when, for how much, under which number.

One row per document in a Polars frame. ``kind`` says where the document shows up: ``ims`` (an
IMS record; booked in the register unless ``booked`` is false), ``pr_only`` (booked, never
reported by the supplier) or ``rcm`` (a reverse-charge purchase: register only).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from imsrecon.demo.numbers import format_numbers
from imsrecon.demo.suppliers import BRANCH_STYLES, FY_STYLES
from imsrecon.normalise.docno import doc_no_norm_expr

FY_START = dt.date(2025, 4, 1)
FY_END = dt.date(2026, 3, 31)
PRIOR_FROM = dt.date(2025, 3, 15)  # a few documents of the previous year, booked in this one
EPOCH = dt.date(1970, 1, 1)
D_START = (FY_START - EPOCH).days
D_END = (FY_END - EPOCH).days
D_PRIOR = (PRIOR_FROM - EPOCH).days

# IMS sections of ordinary (non-recurring) documents: key -> (share, family, amendment?)
SECTION_MIX = {
    "b2b": (0.862, 0, False),
    "b2ba": (0.01, 0, True),
    "b2bdn": (0.025, 2, False),
    "b2bdna": (0.002, 2, True),
    "b2bcn": (0.07, 1, False),
    "b2bcna": (0.003, 1, True),
    "ecom": (0.027, 0, False),
    "ecoma": (0.001, 0, True),
}
RATES = np.array([5, 12, 18, 28])
_RATE_P = np.array([0.14, 0.12, 0.64, 0.10])
CESS_RATES = np.array([1, 12, 15, 22])
RENTS = np.array([18_000, 25_000, 40_000, 50_000, 75_000, 1_00_000, 1_50_000, 2_50_000])
# max counter digits each style keeps within 16 characters (style -> digits)
_MAX_DIGITS = {0: 4, 4: 4, 2: 6, 5: 6, 1: 9, 3: 9, 6: 9, 7: 6, 8: 6}


def stochastic_count(rng: np.random.Generator, rate: float, n: int) -> int:
    x = rate * n
    return int(np.floor(x + rng.random()))


def _days(rng: np.random.Generator, n: int, prior_share: float = 0.03) -> np.ndarray:
    days = rng.integers(D_START, D_END + 1, size=n)
    prior = rng.random(n) < prior_share
    days[prior] = rng.integers(D_PRIOR, D_START, size=int(prior.sum()))
    return days


def _taxable(rng: np.random.Generator, family: np.ndarray, eco: np.ndarray) -> np.ndarray:
    median = np.where(family == 1, 4_000.0, np.where(family == 2, 3_000.0, 25_000.0))
    median = np.where(eco, 900.0, median)
    sigma = np.where(eco, 0.7, 1.3)
    tx = np.exp(np.log(median) + sigma * rng.standard_normal(len(family)))
    tx = np.clip(tx, 100.0, 5e7)
    paise = rng.random(len(family)) < 0.35
    return np.where(paise, np.round(tx, 2), np.round(tx))


def _lags(rng: np.random.Generator, n: int) -> np.ndarray:
    lag = 1 + rng.geometric(0.25, size=n)
    lag[rng.random(n) < 0.3] = 0
    return np.minimum(lag, 20)


def make_documents(
    rng: np.random.Generator, sup: pl.DataFrame, n_ims: int, n_recurring: int, n_pr_only: int,
    n_rcm: int, recipient_state: str,
) -> pl.DataFrame:
    """Documents with values and dates (numbers come later, see :func:`assign_numbers`)."""
    role = sup["role"].to_numpy()
    regular = np.flatnonzero(role == "regular")
    weights = sup["weight"].to_numpy()[regular]
    eco_sups = np.flatnonzero(role == "eco")
    rec_sups = np.flatnonzero(role == "recurring")
    rcm_sups = np.flatnonzero(role == "rcm")
    parts = []

    # 1. ordinary IMS records
    n_ord = n_ims - n_recurring
    keys = list(SECTION_MIX)
    share = np.array([SECTION_MIX[k][0] for k in keys])
    if len(eco_sups) == 0:
        share[[keys.index("ecom"), keys.index("ecoma")]] = 0.0
    sec_idx = rng.choice(len(keys), size=n_ord, p=share / share.sum())
    section = np.array(keys, dtype=object)[sec_idx]
    family = np.array([SECTION_MIX[k][1] for k in keys])[sec_idx]
    is_amend = np.array([SECTION_MIX[k][2] for k in keys])[sec_idx]
    is_eco = np.isin(sec_idx, [keys.index("ecom"), keys.index("ecoma")])
    s = regular[rng.choice(len(regular), size=n_ord, p=weights)]
    if is_eco.any():
        s[is_eco] = eco_sups[rng.integers(0, len(eco_sups), size=int(is_eco.sum()))]
    parts.append({
        "kind": np.full(n_ord, "ims", dtype=object), "sup": s, "family": family, "section": section,
        "amend": np.where(is_amend, rng.choice([1, 2], size=n_ord), 0), "days": _days(rng, n_ord),
        "eco": is_eco,
    })
    # 2. recurring bills: one supplier per series, the same amount every month
    if n_recurring:
        series = np.arange(n_recurring) // 12
        month = np.arange(n_recurring) % 12
        day = rng.integers(1, 8, size=len(rec_sups))[series]
        start = [dt.date(2025 + (4 + m - 1) // 12, (4 + m - 1) % 12 + 1, int(d)) for m, d in zip(month, day, strict=True)]
        parts.append({
            "kind": np.full(n_recurring, "ims", dtype=object), "sup": rec_sups[series],
            "family": np.zeros(n_recurring, dtype=np.int64), "section": np.full(n_recurring, "b2b", dtype=object),
            "amend": np.zeros(n_recurring, dtype=np.int64),
            "days": np.array([(d - EPOCH).days for d in start], dtype=np.int64),
            "eco": np.zeros(n_recurring, dtype=bool), "rent": RENTS[rng.integers(0, len(RENTS), size=len(rec_sups))][series],
        })
    # 3. booked, never reported; 4. reverse charge
    if n_pr_only:
        parts.append({
            "kind": np.full(n_pr_only, "pr_only", dtype=object),
            "sup": regular[rng.choice(len(regular), size=n_pr_only, p=weights)],
            "family": rng.choice([0, 1, 2], size=n_pr_only, p=[0.9, 0.08, 0.02]),
            "section": np.full(n_pr_only, None, dtype=object), "amend": np.zeros(n_pr_only, dtype=np.int64),
            "days": _days(rng, n_pr_only), "eco": np.zeros(n_pr_only, dtype=bool),
        })
    if n_rcm:
        parts.append({
            "kind": np.full(n_rcm, "rcm", dtype=object), "sup": rcm_sups[rng.integers(0, len(rcm_sups), size=n_rcm)],
            "family": np.zeros(n_rcm, dtype=np.int64), "section": np.full(n_rcm, None, dtype=object),
            "amend": np.zeros(n_rcm, dtype=np.int64), "days": _days(rng, n_rcm, 0.0),
            "eco": np.zeros(n_rcm, dtype=bool),
        })
    cols = ("kind", "sup", "family", "section", "amend", "days", "eco")
    data = {c: np.concatenate([p[c] for p in parts]) if parts else np.array([]) for c in cols}
    n = len(data["sup"])
    rent = np.concatenate([p.get("rent", np.zeros(len(p["sup"]))) for p in parts]) if parts else np.zeros(0)
    fam, eco, s = data["family"].astype(np.int64), data["eco"].astype(bool), data["sup"].astype(np.int64)

    # values
    tx = _taxable(rng, fam, eco)
    tx = np.where(rent > 0, rent, tx)
    sup_rate = sup["rate"].to_numpy()[s]
    rate = RATES[rng.choice(4, size=n, p=_RATE_P)]
    rate = np.where(eco, np.where(rng.random(n) < 0.7, 5, 18), rate)
    rate = np.where(sup_rate > 0, sup_rate, rate)
    inv_typ = np.where(rng.random(n) < 0.015, "SEWP", np.where(rng.random(n) < 0.01, "DE", "R")).astype(object)
    inv_typ[eco | (data["kind"] != "ims")] = None
    sup_state = sup["state"].to_numpy()[s]
    pos = np.full(n, recipient_state, dtype=object)
    away = (rng.random(n) < 0.02) & (fam == 0) & (data["kind"] == "ims")  # e.g. a hotel stay elsewhere
    pos[away] = sup_state[away]
    inter = (sup_state != pos) | np.isin(inv_typ.astype(str), ["SEWP", "DE"])
    tax = np.round(tx * rate / 100.0, 2)
    half = np.round(tx * rate / 200.0, 2)
    cess_rate = np.where((rate == 28) & (rng.random(n) < 0.2), CESS_RATES[rng.integers(0, 4, size=n)], 0)
    cess = np.round(tx * cess_rate / 100.0, 2)
    iamt = np.where(inter, tax, 0.0)
    camt = np.where(inter, 0.0, half)
    total = tx + iamt + 2 * camt + cess
    val = np.where(rng.random(n) < 0.5, np.floor(total + 0.5), np.round(total, 2))
    return pl.DataFrame({
        "doc": np.arange(n, dtype=np.int64),
        "kind": pl.Series(data["kind"].tolist(), dtype=pl.String),
        "sup": s, "family": fam,
        "section": pl.Series(data["section"].tolist(), dtype=pl.String),
        "amend": data["amend"].astype(np.int64),
        "days": data["days"].astype(np.int64),
        "rate": rate.astype(np.int64),
        "inv_typ": pl.Series(inv_typ.tolist(), dtype=pl.String),
        "pos": pl.Series(pos.tolist(), dtype=pl.String),
        "txval": tx, "iamt": iamt, "camt": camt, "samt": camt.copy(), "cess": cess, "val": val,
        "lag": _lags(rng, n),
        "booked": np.ones(n, dtype=bool),
        "trap": pl.Series([""] * n, dtype=pl.String),
    })


def fix_styles(sup: pl.DataFrame, docs: pl.DataFrame) -> pl.DataFrame:
    """Suppliers whose counters would outgrow 16 characters in their style switch to a compact
    one (the portal allows 16)."""
    counts = np.bincount(docs["sup"].to_numpy(), minlength=sup.height) * 2 + 5000
    digits = np.floor(np.log10(np.maximum(counts, 1))).astype(int) + 1
    style = sup["style"].to_numpy().copy()
    limit = np.array([_MAX_DIGITS[int(x)] for x in style])
    too_long = digits > limit
    style[too_long] = np.where(np.isin(style[too_long], BRANCH_STYLES), 6, 1)
    return sup.with_columns(pl.Series("style", style))


def assign_numbers(rng: np.random.Generator, sup: pl.DataFrame, docs: pl.DataFrame) -> pl.DataFrame:
    """Number every document: unique per supplier, counters per series (supplier, family, and
    financial year where the style carries one), ordered by date. An amendment that changed the
    number takes two counters: the original's and the new one's."""
    n = docs.height
    s = docs["sup"].to_numpy()
    days = docs["days"].to_numpy()
    dates = np.datetime64("1970-01-01") + days.astype("timedelta64[D]")
    months = dates.astype("datetime64[M]").astype(np.int64) % 12 + 1
    years = dates.astype("datetime64[Y]").astype(np.int64) + 1970
    fy = np.where(months >= 4, years, years - 1)
    style = sup["style"].to_numpy()[s]
    fykey = np.where(np.isin(style, FY_STYLES), fy, 0)
    family = docs["family"].to_numpy()
    amend = docs["amend"].to_numpy()
    # slots: one per number (two for an amendment with a new number)
    reps = np.where(amend == 2, 2, 1)
    slot_doc = np.repeat(np.arange(n), reps)
    slot_no = np.arange(len(slot_doc)) - np.repeat(np.cumsum(reps) - reps, reps)
    key = (s[slot_doc] * 3 + family[slot_doc]) * 10_000 + fykey[slot_doc]
    uniq, series = np.unique(key, return_inverse=True)
    order = np.lexsort((slot_no, slot_doc, days[slot_doc], series))
    sorted_series = series[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_series)) + 1]
    rank_sorted = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    rank = np.empty_like(rank_sorted)
    rank[order] = rank_sorted
    u_fykey = uniq % 10_000
    u_family = (uniq // 10_000) % 3
    note = u_family > 0
    prior = (u_fykey > 0) & (u_fykey < 2025)
    lo = np.where(prior, np.where(note, 200, 2000), 1)
    hi = np.where(u_fykey == 0, np.where(note, 500, 5000), np.where(prior, np.where(note, 300, 3000), np.where(note, 30, 300)))
    base = rng.integers(lo, hi)
    counter = base[series] + rank
    sd = slot_doc
    frame = pl.DataFrame({
        "style": style[sd], "prefix": sup["prefix"].to_numpy()[s[sd]], "abbr": sup["abbr"].to_numpy()[s[sd]],
        "counter": counter, "pad": sup["pad"].to_numpy()[s[sd]], "fy": fy[sd], "family": family[sd],
    })
    numbers = format_numbers(frame)
    last = np.cumsum(reps) - 1  # the active number: the amendment's new one
    first = last - (reps - 1)
    number = numbers.gather(last)
    orig = numbers.gather(first)
    out = docs.with_columns(
        number.alias("number"),
        pl.when(pl.Series(amend) > 0).then(orig).otherwise(None).alias("orig_number"),
        pl.Series("series", series[last]), pl.Series("counter", counter[last]),
        pl.Series("pad", frame["pad"].to_numpy()[last]), pl.Series("fy", fy), pl.Series("style", style),
        pl.Series("abbr", frame["abbr"].to_numpy()[last]),
        pl.Series("gstin", sup["gstin"].to_numpy()[s]),
    )
    if n and int(numbers.str.len_chars().max() or 0) > 16:
        raise AssertionError("a generated document number is longer than 16 characters")
    return out


def universe_keys(docs: pl.DataFrame) -> pl.Series:
    """gstin|normalised number for every number a supplier has used (active and original)."""
    keys = pl.concat([
        docs.select(pl.col("gstin"), doc_no_norm_expr(pl.col("number")).alias("k")),
        docs.filter(pl.col("amend") == 2).select(pl.col("gstin"), doc_no_norm_expr(pl.col("orig_number")).alias("k")),
    ])
    out = keys.select(pl.format("{}|{}", "gstin", "k").alias("key"))["key"]
    if out.n_unique() != out.len():
        raise AssertionError("generated document numbers are not unique per supplier")
    return out
