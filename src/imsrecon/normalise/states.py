"""GST state codes, with names and the usual abbreviations, for place-of-supply cells such as
"27", "27-Maharashtra", "Maharashtra" or "MH"."""

from __future__ import annotations

import re

import polars as pl

STATES: dict[str, tuple[str, str]] = {
    "01": ("Jammu and Kashmir", "JK"), "02": ("Himachal Pradesh", "HP"), "03": ("Punjab", "PB"),
    "04": ("Chandigarh", "CH"), "05": ("Uttarakhand", "UK"), "06": ("Haryana", "HR"),
    "07": ("Delhi", "DL"), "08": ("Rajasthan", "RJ"), "09": ("Uttar Pradesh", "UP"),
    "10": ("Bihar", "BR"), "11": ("Sikkim", "SK"), "12": ("Arunachal Pradesh", "AR"),
    "13": ("Nagaland", "NL"), "14": ("Manipur", "MN"), "15": ("Mizoram", "MZ"),
    "16": ("Tripura", "TR"), "17": ("Meghalaya", "ML"), "18": ("Assam", "AS"),
    "19": ("West Bengal", "WB"), "20": ("Jharkhand", "JH"), "21": ("Odisha", "OD"),
    "22": ("Chhattisgarh", "CG"), "23": ("Madhya Pradesh", "MP"), "24": ("Gujarat", "GJ"),
    "26": ("Dadra and Nagar Haveli and Daman and Diu", "DNHDD"), "27": ("Maharashtra", "MH"),
    "29": ("Karnataka", "KA"), "30": ("Goa", "GA"), "31": ("Lakshadweep", "LD"),
    "32": ("Kerala", "KL"), "33": ("Tamil Nadu", "TN"), "34": ("Puducherry", "PY"),
    "35": ("Andaman and Nicobar Islands", "AN"), "36": ("Telangana", "TS"),
    "37": ("Andhra Pradesh", "AP"), "38": ("Ladakh", "LA"), "96": ("Other Country", "OC"),
    "97": ("Other Territory", "OT"),
}  # fmt: skip


def _fold(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower().replace("&", "and"))


_BY_NAME: dict[str, str] = {}
for _code, (_name, _abbr) in STATES.items():
    _BY_NAME[_fold(_name)] = _code
    _BY_NAME[_fold(_abbr)] = _code
_BY_NAME.update({"orissa": "21", "pondicherry": "34", "uttaranchal": "05", "tg": "36", "ct": "22",
                 "daman": "26", "damananddiu": "26", "dadraandnagarhaveli": "26", "or": "21"})


def place_of_supply_expr(col: pl.Expr) -> pl.Expr:
    """Cell -> 2-digit state code, or null when it names no state."""
    s = col.cast(pl.String).str.strip_chars()
    digits = s.str.extract(r"^(\d{1,2})(?:\D|$)", 1).str.zfill(2)
    by_name = s.str.to_lowercase().str.replace_all("&", "and").str.replace_all(r"[^a-z]", "")
    named = by_name.replace_strict(_BY_NAME, default=None, return_dtype=pl.String)
    return pl.coalesce(digits, named)
