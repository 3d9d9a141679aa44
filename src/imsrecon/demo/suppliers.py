"""Suppliers for demo data: names, PANs, valid GSTINs, branches (one PAN, several states) and the
invoice-number style each one uses. Suppliers number in the thousands at most, so plain Python."""

from __future__ import annotations

import numpy as np
import polars as pl

from imsrecon.normalise.gstin import check_character

# code -> (name, abbreviation used in branch prefixes, a city, weight in a supplier base)
STATES: dict[str, tuple[str, str, str, float]] = {
    "01": ("Jammu and Kashmir", "JK", "Jammu", 0.3),
    "02": ("Himachal Pradesh", "HP", "Baddi", 0.6),
    "03": ("Punjab", "PB", "Ludhiana", 1.5),
    "04": ("Chandigarh", "CH", "Chandigarh", 0.5),
    "05": ("Uttarakhand", "UK", "Haridwar", 0.7),
    "06": ("Haryana", "HR", "Gurugram", 3.0),
    "07": ("Delhi", "DL", "New Delhi", 4.0),
    "08": ("Rajasthan", "RJ", "Jaipur", 2.0),
    "09": ("Uttar Pradesh", "UP", "Noida", 3.0),
    "10": ("Bihar", "BR", "Patna", 0.6),
    "18": ("Assam", "AS", "Guwahati", 0.4),
    "19": ("West Bengal", "WB", "Kolkata", 2.5),
    "20": ("Jharkhand", "JH", "Jamshedpur", 0.6),
    "21": ("Odisha", "OD", "Bhubaneswar", 0.7),
    "22": ("Chhattisgarh", "CG", "Raipur", 0.6),
    "23": ("Madhya Pradesh", "MP", "Indore", 1.5),
    "24": ("Gujarat", "GJ", "Ahmedabad", 5.0),
    "27": ("Maharashtra", "MH", "Pune", 6.0),
    "29": ("Karnataka", "KA", "Bengaluru", 4.0),
    "30": ("Goa", "GA", "Verna", 0.4),
    "32": ("Kerala", "KL", "Kochi", 1.0),
    "33": ("Tamil Nadu", "TN", "Chennai", 4.0),
    "36": ("Telangana", "TS", "Hyderabad", 2.5),
    "37": ("Andhra Pradesh", "AP", "Visakhapatnam", 1.2),
    "11": ("Sikkim", "SK", "Gangtok", 0.05),
    "12": ("Arunachal Pradesh", "AR", "Itanagar", 0.05),
    "13": ("Nagaland", "NL", "Dimapur", 0.05),
    "14": ("Manipur", "MN", "Imphal", 0.05),
    "15": ("Mizoram", "MZ", "Aizawl", 0.05),
    "16": ("Tripura", "TR", "Agartala", 0.05),
    "17": ("Meghalaya", "ML", "Shillong", 0.05),
    "26": ("Dadra and Nagar Haveli and Daman and Diu", "DD", "Silvassa", 0.3),
    "31": ("Lakshadweep", "LD", "Kavaratti", 0.01),
    "34": ("Puducherry", "PY", "Puducherry", 0.1),
    "35": ("Andaman and Nicobar Islands", "AN", "Port Blair", 0.02),
    "38": ("Ladakh", "LA", "Leh", 0.02),
    "97": ("Other Territory", "OT", "Other Territory", 0.0),
}


def state_name(code: str) -> str:
    return STATES[code][0] if code in STATES else f"State {code}"


_FIRST = (
    "Shree", "Sai", "Bharat", "Om", "Ganesh", "Laxmi", "Krishna", "Balaji", "Mahalaxmi", "Jai",
    "Vishal", "Sunrise", "Pioneer", "Apex", "Prime", "Global", "National", "Royal", "Star",
    "Supreme", "Classic", "Modern", "United", "Eastern", "Western", "Deccan", "Sahyadri", "Narmada",
    "Ganga", "Kaveri", "Himalaya", "Vindhya", "Tirupati", "Siddhi", "Navkar", "Mahavir", "Ambika",
    "Durga", "Annapurna", "Kamdhenu", "Venkatesh", "Anand", "Patel", "Shah", "Mehta", "Agarwal",
    "Gupta", "Reddy", "Iyer", "Nair", "Kulkarni", "Joshi", "Desai", "Bansal", "Goyal", "Chawla",
    "Sethi", "Malhotra", "Kapoor", "Arora",
)  # fmt: skip
_CORE = (
    "Steel", "Packaging", "Chemicals", "Plastics", "Textiles", "Electricals", "Hardware",
    "Logistics", "Polymers", "Auto Parts", "Engineering", "Paper Products", "Fasteners", "Pharma",
    "Agro", "Foods", "Tools", "Castings", "Cables", "Stationers", "Printers", "Infotech", "Metals",
    "Paints", "Rubber", "Glass", "Timber", "Ceramics", "Bearings", "Pumps", "Valves", "Lubricants",
    "Office Supplies", "Electronics", "Garments", "Dyes", "Minerals", "Spices", "Tubes", "Wires",
)  # fmt: skip
# suffix -> PAN holder type (4th PAN character)
_SUFFIX = (
    ("Pvt Ltd", "C"), ("Ltd", "C"), ("LLP", "F"), ("& Co", "F"), ("Traders", "P"),
    ("Industries", "F"), ("Enterprises", "P"), ("Agencies", "P"), ("Corporation", "F"),
    ("& Sons", "H"), ("Suppliers", "P"), ("Udyog", "F"),
)  # fmt: skip
_RECURRING = (("Properties", "F"), ("Estates", "C"), ("& Associates", "F"), ("Facility Services", "C"))
_RCM = (("Roadways", "P", 5), ("Transport Co", "F", 5), ("& Associates Advocates", "F", 18), ("Security Services", "P", 18))
_ECO = ("Kwik Kart Commerce Pvt Ltd", "Ride Go Mobility Pvt Ltd", "Tiffin Box Foods Online Pvt Ltd", "Stay Easy Hotels Online Pvt Ltd")
_GENERIC_PREFIXES = ("INV", "SI", "TI", "GST", "BL", "S", "TAX", "SAL", "B", "RS", "PI", "T")
_ALPHA = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))

# Invoice-number styles (see numbers.py). Branch styles start with the state abbreviation.
STYLES = (0, 1, 2, 3, 4, 5, 6, 7, 8)
BRANCH_STYLES = (4, 6)
FY_STYLES = (0, 2, 4, 5, 7, 8)
YEAR_SEGMENT_STYLES = (7, 8)  # the year as a segment of its own: SI/2526/45, INV/2025/123
_STYLE_P = np.array([0.22, 0.18, 0.13, 0.09, 0.09, 0.09, 0.07, 0.08, 0.05])
_PAD_CHOICES = {0: (4,), 1: (0, 4, 5), 2: (3,), 3: (7,), 4: (0, 3), 5: (0, 3), 6: (4,), 7: (4, 5), 8: (0, 5)}


def _pans(rng: np.random.Generator, holder: list[str], initials: list[str]) -> list[str]:
    n = len(holder)
    pans: list[str] = []
    seen: set[str] = set()
    while len(pans) < n:
        k = n - len(pans)
        letters = _ALPHA[rng.integers(0, 26, size=(k, 4))]
        digits = rng.integers(0, 10_000, size=k)
        for j in range(k):
            i = len(pans)
            pan = "".join(letters[j, :3]) + holder[i] + initials[i] + f"{digits[j]:04d}" + letters[j, 3]
            if pan not in seen:
                seen.add(pan)
                pans.append(pan)
    return pans


def gstin_for(state: str, pan: str, entity: str = "1") -> str:
    first14 = f"{state}{pan}{entity}Z"
    return first14 + check_character(first14)


def _initials(name: str) -> str:
    words = [w for w in name.replace("&", " ").split() if w[0].isalpha()]
    out = "".join(w[0] for w in words[:3]).upper()
    return "INV" if out in ("CN", "DN", "") else out


def make_suppliers(
    rng: np.random.Generator, n_groups: int, recipient_state: str, n_recurring: int, n_rcm: int, n_eco: int
) -> pl.DataFrame:
    """One row per registration (GSTIN). Columns: sup, gstin, pan, state, abbr, name, group,
    role (regular / recurring / rcm / eco), branches, alt_sup (a sister registration, or -1),
    style, prefix, pad, weight (share of regular documents), rate (fixed GST rate, or 0)."""
    codes = list(STATES)
    others = [c for c in codes if c != recipient_state]
    rows: list[dict] = []

    def home_state() -> str:
        if rng.random() < 0.45:
            return recipient_state
        w = np.array([STATES[c][3] for c in others])
        return others[int(rng.choice(len(others), p=w / w.sum()))]

    # regular suppliers: unique base names from the combination space
    space = len(_FIRST) * len(_CORE) * len(_SUFFIX)
    picks = rng.choice(space, size=n_groups, replace=n_groups > space)
    groups = []
    for g, code in enumerate(picks.tolist()):
        f, rest = divmod(code, len(_CORE) * len(_SUFFIX))
        c, s = divmod(rest, len(_SUFFIX))
        suffix, holder = _SUFFIX[s]
        name = f"{_FIRST[f]} {_CORE[c]} {suffix}"
        if g >= space:
            name = f"{name} ({g // space + 1})"
        groups.append((name, holder, "regular", 0))
    branch_counts = rng.choice([1, 2, 3, 4], size=n_groups, p=[0.85, 0.1, 0.04, 0.01])
    for _ in range(n_recurring):
        suffix, holder = _RECURRING[int(rng.integers(len(_RECURRING)))]
        groups.append((f"{_FIRST[int(rng.integers(len(_FIRST)))]} {suffix}", holder, "recurring", 18))
    for _ in range(n_rcm):
        suffix, holder, rate = _RCM[int(rng.integers(len(_RCM)))]
        groups.append((f"{_FIRST[int(rng.integers(len(_FIRST)))]} {suffix}", holder, "rcm", rate))
    for k in range(n_eco):
        groups.append((_ECO[k % len(_ECO)] + ("" if k < len(_ECO) else f" {k}"), "C", "eco", 0))
    # special suppliers may repeat a name: make every name unique
    seen: dict[str, int] = {}
    for i, (name, holder, role, rate) in enumerate(groups):
        if name in seen:
            seen[name] += 1
            groups[i] = (f"{name} {seen[name]}", holder, role, rate)
        else:
            seen[name] = 1
    pans = _pans(rng, [g[1] for g in groups], [g[0][0].upper() for g in groups])
    branches = np.concatenate([branch_counts, np.ones(len(groups) - n_groups, dtype=np.int64)])
    styles = rng.choice(len(STYLES), size=len(groups), p=_STYLE_P)
    generic = rng.random(len(groups)) < 0.4
    for g, (name, _holder, role, rate) in enumerate(groups):
        k = int(branches[g])
        style = int(styles[g])
        if k > 1 and rng.random() < 0.5:
            style = BRANCH_STYLES[int(rng.integers(2))]
        if role in ("eco", "rcm", "recurring") and style in BRANCH_STYLES:
            style = 1
        prefix = _GENERIC_PREFIXES[int(rng.integers(len(_GENERIC_PREFIXES)))] if generic[g] else _initials(name)
        pad_options = _PAD_CHOICES[style]
        pad = pad_options[int(rng.integers(len(pad_options)))]
        first = home_state()
        if k > 1:
            rest = [c for c in codes if c != first and STATES[c][3] > 0]
            w = np.array([STATES[c][3] for c in rest])
            extra = rng.choice(len(rest), size=k - 1, replace=False, p=w / w.sum())
            states = [first] + [rest[int(j)] for j in extra]
        else:
            states = [first]
        for b, st in enumerate(states):
            rows.append({
                "gstin": gstin_for(st, pans[g]), "pan": pans[g], "state": st,
                "abbr": STATES[st][1] if st in STATES else "XX",
                "name": name if k == 1 else f"{name} - {STATES[st][2] if st in STATES else st}",
                "group": g, "role": role, "branches": k, "branch": b,
                "style": style, "prefix": prefix, "pad": pad, "rate": rate,
            })
    df = pl.DataFrame(rows).with_row_index("sup").with_columns(pl.col("sup").cast(pl.Int64))
    # a sister registration for each branch (the next one of its group, cyclically)
    first_sup = pl.col("sup").min().over("group")
    alt = first_sup + (pl.col("branch") + 1) % pl.col("branches")
    df = df.with_columns(pl.when(pl.col("branches") > 1).then(alt).otherwise(-1).alias("alt_sup"))
    # document volume: Zipf-like over regular suppliers, in random rank order
    regular = (df["role"] == "regular").to_numpy()
    weight = np.zeros(df.height)
    ranks = rng.permutation(int(regular.sum())) + 1
    weight[regular] = 1.0 / ranks**1.05
    weight /= max(weight.sum(), 1e-12)
    return df.with_columns(pl.Series("weight", weight))
