"""Document numbers in realistic supplier styles, and the ways books mangle them.

Styles (``P`` prefix, ``B`` branch state abbreviation, ``N`` counter, ``FY`` the financial year):

====  ========================  =====================  ===========================
style invoice                   example                credit / debit note
====  ========================  =====================  ===========================
0     ``P/2025-26/N``            ``INV/2025-26/0012``   ``CN/2025-26/0004``
1     ``P-N``                    ``GST-1234``           ``CN-12``
2     ``25-26/P/N``              ``25-26/ABC/045``      ``25-26/CN/004``
3     ``N`` (7 digits)           ``0000123``            ``CN00012``
4     ``B/25-26/N``              ``MH/24-25/77``        ``MH/CN/25-26/4``
5     ``P/N/25-26``              ``TI/345/25-26``       ``CN/12/25-26``
6     ``B/P/N``                  ``KA/SI/0045``         ``KA/CN/0004``
7     ``P/2526/N``               ``SI/2526/00045``      ``CN/2526/0004``
8     ``P/2025/N``               ``INV/2025/123``       ``CN/2025/4``
====  ========================  =====================  ===========================

Styles 7 and 8 write the year as a segment of its own: the financial year in four digits
(Tally's numbering), or its first calendar year.

Formatting is vectorised (Polars); the trap edits work on the few rows that get a trap.
"""

from __future__ import annotations

import re

import polars as pl

from imsrecon.normalise.docno import SPREADSHEET_NUMBER

NOTE_PREFIX = {1: "CN", 2: "DN"}  # family -> prefix of its notes


def fy_long(y: pl.Expr) -> pl.Expr:
    return pl.format("{}-{}", y, ((y + 1) % 100).cast(pl.String).str.zfill(2))


def fy_short(y: pl.Expr, sep: str = "-") -> pl.Expr:
    """25-26 (or 2526 with ``sep=""``) for the financial year starting in ``y``."""
    two = [(v % 100).cast(pl.String).str.zfill(2) for v in (y, y + 1)]
    return pl.format("{}" + sep + "{}", *two)


def format_numbers(frame: pl.DataFrame) -> pl.Series:
    """Numbers from columns style, prefix, abbr, counter, pad, fy (start year), family
    (0 invoice, 1 credit note, 2 debit note)."""
    note = pl.col("family") > 0
    p = pl.when(pl.col("family") == 1).then(pl.lit("CN")).when(pl.col("family") == 2).then(pl.lit("DN")).otherwise(pl.col("prefix"))
    n = pl.col("counter").cast(pl.String).str.zfill(pl.col("pad"))
    n5 = pl.col("counter").cast(pl.String).str.zfill(5)
    b, s = pl.col("abbr"), pl.col("style")
    fl, fs = fy_long(pl.col("fy")), fy_short(pl.col("fy"))
    expr = (
        pl.when(s == 0).then(pl.format("{}/{}/{}", p, fl, n))
        .when(s == 1).then(pl.format("{}-{}", p, n))
        .when(s == 2).then(pl.format("{}/{}/{}", fs, p, n))
        .when((s == 3) & note).then(pl.format("{}{}", p, n5))
        .when(s == 3).then(n)
        .when((s == 4) & note).then(pl.format("{}/{}/{}/{}", b, p, fs, n))
        .when(s == 4).then(pl.format("{}/{}/{}", b, fs, n))
        .when(s == 5).then(pl.format("{}/{}/{}", p, n, fs))
        .when(s == 7).then(pl.format("{}/{}/{}", p, fy_short(pl.col("fy"), ""), n))
        .when(s == 8).then(pl.format("{}/{}/{}", p, pl.col("fy"), n))
        .otherwise(pl.format("{}/{}/{}", b, p, n))
    )  # fmt: skip
    return frame.select(expr.alias("number"))["number"]


# --- the normaliser, in plain Python (the vectorised one in normalise.docno is the reference) ---

_ZEROS = re.compile(r"(^|[^0-9])0+([0-9])")
_NON_ALNUM = re.compile(r"[^A-Z0-9]")
_AS_NUMBER = re.compile(SPREADSHEET_NUMBER)


def norm(s: str) -> str:
    return _NON_ALNUM.sub("", _ZEROS.sub(r"\1\2", _AS_NUMBER.sub(r"\1", s.strip().upper())))


# --- edits ---------------------------------------------------------------------------------

_LAST_DIGITS = re.compile(r"(\d+)(?!.*\d)")


def _fy_spellings(y: int) -> dict[str, str]:
    """The financial year starting in ``y`` as numbers write it; "C" (2526) and "Y" (2025) only
    as a segment of their own."""
    a, b = y % 100, (y + 1) % 100
    return {"X": f"{y}-{y + 1}", "L": f"{y}-{b:02d}", "SL": f"{y}/{b:02d}", "S": f"{a:02d}-{b:02d}",
            "C": f"{a:02d}{b:02d}", "Y": f"{y}"}


_SEGMENT = "(?<![0-9A-Za-z]){}(?![0-9A-Za-z])"


def _fy_present(s: str, spell: dict[str, str], year_segment: bool) -> str | None:
    """Which spelling of the year ``s`` carries (the longest first; the four-digit ones only
    where the style writes them, as a segment, so that a counter such as 2526 is no year)."""
    for k in ("X", "L", "SL", "S"):
        if spell[k] in s:
            return k
    segments = ("C", "Y") if year_segment else ()
    return next((k for k in segments if re.search(_SEGMENT.format(spell[k]), s)), None)


def _last_run_unpadded(s: str) -> str:
    m = _LAST_DIGITS.search(s)
    if m is None or len(m.group(1)) < 2 or not m.group(1).startswith("0"):
        return s
    return s[: m.start(1)] + (m.group(1).lstrip("0") or "0") + s[m.end(1):]


def _last_run_padded(s: str) -> str:
    m = _LAST_DIGITS.search(s)
    return s if m is None else s[: m.start(1)] + "00" + s[m.start(1):]


_FORMAT_VARIANTS = (
    str.lower,
    lambda s: s.translate(str.maketrans("/-", "-/")),
    lambda s: re.sub(r"([/-])", r" \1 ", s, count=1),
    lambda s: s.replace("/", " ").replace("-", " "),
    _last_run_unpadded,
    _last_run_padded,
    lambda s: re.sub(r"(?<=[A-Za-z])[/-](?=\d)|(?<=\d)[/-](?=[A-Za-z])", "", s, count=1),
)


def edit_number_format(s: str, r: int) -> str | None:
    """A spelling that normalisation maps back to ``s``: case, separators, spaces, zeros. Every
    variant keeps the normalised form by construction (checked again by the caller)."""
    k = len(_FORMAT_VARIANTS)
    for j in range(k):
        v = _FORMAT_VARIANTS[(r + j) % k](s)
        if v != s:
            return v
    return None


def edit_fy_token(s: str, y: int, r: int, year_segment: bool = False) -> str | None:
    """Financial-year token respelled (so that normalisation no longer hides it), dropped or
    added. ``year_segment``: the style writes the year as a segment of its own (2526, 2025)."""
    spell = _fy_spellings(y)
    present = _fy_present(s, spell, year_segment)
    if present is None:
        token = spell["S"] if r % 2 else spell["L"]
        sep = re.search(r"[/-]", s)
        if sep is None:
            return f"{token}/{s}"
        i = sep.start()
        return f"{s[:i]}{s[i]}{token}{s[i:]}"
    old = spell[present]
    # a calendar year is only ever left out; a financial year is also written another way
    respell = () if present == "Y" else ("X", "L", "SL", "S", "C")
    options = [k for k in respell if norm(spell[k]) != norm(old)] + ["drop"]
    choice = options[r % len(options)]
    found = re.search(_SEGMENT.format(old), s) if present in ("C", "Y") else None
    i = found.start() if found else s.index(old)
    if choice != "drop":
        return s[:i] + spell[choice] + s[i + len(old):]
    before, after = s[:i], s[i + len(old):]
    if after[:1] in ("/", "-"):
        after = after[1:]
    elif before[-1:] in ("/", "-"):
        before = before[:-1]
    out = before + after
    return out or None


def edit_branch_prefix(s: str, abbr: str) -> str | None:
    head = abbr + "/"
    return s[len(head):] if s.startswith(head) and len(s) > len(head) else None


_ROWS = ("QWERTYUIOP", "ASDFGHJKL", "ZXCVBNM", "1234567890")
_NEIGHBOURS = {
    ch: row[max(i - 1, 0)] if i == len(row) - 1 else row[i + 1]
    for row in _ROWS for i, ch in enumerate(row)
}  # fmt: skip
_LEFT = {ch: row[i - 1] for row in _ROWS for i, ch in enumerate(row) if i > 0}


def edit_typo(s: str, r: int, r2: int) -> str | None:
    """One keystroke: a neighbouring key, a doubled or a dropped character."""
    letters = [i for i, c in enumerate(s) if c.isalpha()]
    m = _LAST_DIGITS.search(s)
    if letters and (r % 3 != 2 or m is None):
        i = letters[r2 % len(letters)]
        c = s[i].upper()
        new = _LEFT.get(c) if r2 % 2 and c in _LEFT else _NEIGHBOURS[c]
        new = new if s[i].isupper() else new.lower()
        return s[:i] + new + s[i + 1:]
    if m is None:
        return None
    run_start, run = m.start(1), m.group(1)
    sig = [run_start + j for j, c in enumerate(run) if j >= len(run) - len(run.lstrip("0"))]
    if not sig:
        return None
    i = sig[r2 % len(sig)]
    if r % 2 == 0:  # doubled keystroke
        return s[:i] + s[i] + s[i:]
    if len(sig) > 1 and r % 4 == 1:  # dropped keystroke
        return s[:i] + s[i + 1:]
    return s[:i] + _NEIGHBOURS[s[i]] + s[i + 1:]  # neighbouring key


_REMARKS = ("{no} dt {date}", "{no} (cash)", "{no} dtd {date}", "{no} (part supply)", "{no} dated {date}",
            "{no} {date}", "{no}, {date}")


def edit_remark(s: str, date: str, r: int) -> str:
    """What a hand-kept register writes after the number: the document's date or a note."""
    return _REMARKS[r % len(_REMARKS)].format(no=s, date=date)


def edit_spreadsheet_number(s: str) -> str | None:
    """An all-digit number kept as a number by the books' spreadsheet and written out by a CSV
    export: leading zeros gone, ".0" added (0000123 -> 123.0)."""
    return f"{int(s)}.0" if s.isdigit() else None


_OWN_PREFIXES = ("GRN/", "PUR-", "", "V", "MIR/")


def edit_own_number(r: int, r2: int) -> str:
    """The books' own number in place of the supplier's: a goods receipt or voucher number."""
    return f"{_OWN_PREFIXES[r2 % len(_OWN_PREFIXES)]}{r % 90000 + 1000}"


def edit_transpose(s: str, r: int, last_pair: bool = False) -> str | None:
    """Two adjacent, different digits swapped (the last two when ``last_pair``)."""
    pairs = [i for i in range(len(s) - 1) if s[i].isdigit() and s[i + 1].isdigit() and s[i] != s[i + 1]]
    if not pairs:
        return None
    if last_pair:
        m = _LAST_DIGITS.search(s)
        if m is None or len(m.group(1)) < 2:
            return None
        i = m.end(1) - 2
        if s[i] == s[i + 1]:
            return None
    else:
        m = _LAST_DIGITS.search(s)
        significant = m.start(1) + len(m.group(1)) - len(m.group(1).lstrip("0")) if m else len(s)
        in_counter = [i for i in pairs if i >= significant]
        pool = in_counter or pairs
        i = pool[r % len(pool)]
    return s[:i] + s[i + 1] + s[i] + s[i + 2:]


def transposed_counter(counter: pl.Expr, pad: pl.Expr) -> pl.Expr:
    """The counter with its last two (padded) digits swapped; null when they are equal or when
    the padded counter has a single digit."""
    a, b = (counter // 10) % 10, counter % 10
    ok = (a != b) & ((counter >= 10) | (pad >= 2))
    return pl.when(ok).then(counter + 9 * (b - a)).otherwise(None)
