"""Decisions on IMS documents: a user's action for a matching key, kept apart from the
recommendation (pure: no I/O).

A decision is one of Accept, Reject, Pending or No action (going back to N on the portal; the
upload sends it as a RESET). :func:`validate` checks proposed decisions against a run's result
rows and returns every failure as a :class:`DecisionProblem` value (never an exception):

* ``unknown_key``: no result row has the matching key;
* ``unknown_action``: the action is not one of Accept, Reject, Pending, No action;
* ``register_only``: the row is register-only (missing in IMS, duplicate, other period): nothing to
  act on in IMS;
* ``key_repeated``: the same key is given again with another decision;
* ``unknown_itc_reduction`` / ``decl_not_a_number`` / ``decl_without_kind``: the ITC reduction is
  not one of full, partial, none; a declared amount is not a number; amounts without a reduction;
* the portal's own rules, checked by :func:`imsrecon.exporters.upload.action_problems` (the rules
  an upload is checked against; domain doc §4): ``pending_blocked`` (Pending where
  ``ispendactblocked`` is Y), ``reject_import_of_goods`` (Reject on import of goods),
  ``remarks_too_long`` (more than :data:`imsrecon.exporters.upload.MAX_REMARKS` characters),
  ``remarks_not_allowed`` (remarks go with Reject, Pending or an Accept with an ITC-reduction
  declaration), and the declaration's rules: only with Accept, only on specified records (credit
  notes; amendments the portal marks), not where the record blocks it, amounts between 0 and the
  record's tax, CGST = SGST, remarks with a partial or no reduction, a partial one naming every
  head with tax.

An ITC-reduction declaration (``itc_reduction`` on a :class:`Proposal`) is ``full`` (stored as
``itc_red_req`` Y without amounts), ``partial`` (Y with every head's declared amount; heads without
tax are declared 0) or ``none`` (N: no reduction). Accepting a credit note that the books hold on
the tool's advice (:func:`recommended`, suggestions) declares it in full (:func:`declares_in_full`),
where the record does not block a declaration.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from imsrecon.exporters.upload import action_problems
from imsrecon.exporters.upload_rules import DECLARATION_KINDS, HEADS, TOLERANCE
from imsrecon.normalise.flags import yes_expr
from imsrecon.result import MatchStatus
from imsrecon.sections import ACTION_CODES

ACCEPT, REJECT, PENDING, NO_ACTION = "Accept", "Reject", "Pending", "No action"
DECISION_ACTIONS = (ACCEPT, REJECT, PENDING, NO_ACTION)
# every spelling a user may give -> the decision's word
_SPELLINGS = {
    **{a.lower(): a for a in DECISION_ACTIONS},
    "none": NO_ACTION, "no_action": NO_ACTION, "no-action": NO_ACTION, "noaction": NO_ACTION,
}  # fmt: skip
REGISTER_ONLY = (MatchStatus.MISSING_IN_IMS.value, MatchStatus.DUPLICATE.value, MatchStatus.OTHER_PERIOD.value)
# the result columns a check needs (and, where loaded, the record's is_itc_red_req_blocked)
ROW_COLUMNS = ("matching_key", "match_status", "ims_section", "ims_ispendactblocked", "ims_igst", "ims_cgst",
               "ims_sgst", "ims_cess", "is_itc_red_req_blocked")  # fmt: skip
FULL, PARTIAL, NONE = "full", "partial", "none"
# every spelling of an ITC reduction a user may give (CLI, workbook dropdown) -> the kind; "" = none declared
_ITC_SPELLINGS = {"full": FULL, "partial": PARTIAL, "none": NONE, "no reduction": NONE, "nil": NONE, "": ""}
ITC_REDUCTION_WORDS = {FULL: "Full", PARTIAL: "Partial", NONE: "None"}  # as the workbook shows them
DECL_COLUMNS = tuple(HEADS)  # decl_igst, decl_cgst, decl_sgst, decl_cess


def parse_action(value: Any) -> str | None:
    """The decision's word for an action as a user writes it (any case; ``none`` is No action),
    or None when it is not one."""
    if not isinstance(value, str):
        return None
    return _SPELLINGS.get(" ".join(value.split()).lower())


def action_code(action: str) -> str:
    """The portal's code (A/R/P/N) of a decision's word."""
    return ACTION_CODES[action.lower()]


def clean_remarks(remarks: str | None) -> str | None:
    """Remarks as stored: None when blank."""
    return remarks if remarks is not None and remarks.strip() else None


def parse_itc_reduction(value: Any) -> str | None:
    """``full``/``partial``/``none`` for a reduction as a user writes it (any case), ``""`` for a
    blank one (none declared), None when it is not one."""
    if value is None:
        return ""
    return _ITC_SPELLINGS.get(" ".join(str(value).split()).lower()) if isinstance(value, str) else None


def _amount(value: Any) -> float | None:
    """A declared amount as a number (text such as "1,234.50" too); None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value).replace(",", "").strip())
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Proposal:
    """A decision someone asks for. ``remarks`` None means "not given" (a blank text means
    "no remarks"); ``sheet``/``row`` say where it came from in a workbook (row as Excel shows it)."""

    key: str
    action: str
    remarks: str | None = None
    sheet: str | None = None
    row: int | None = None
    note: str | None = None  # why, for the audit log (e.g. the recommendation's rule)
    # the ITC-reduction declaration: full / partial / none as the user wrote it ("" or blank: none
    # declared; None: not given, as with remarks) and the declared IGST, CGST, SGST, cess (None: not given)
    itc_reduction: str | None = None
    amounts: tuple[Any, Any, Any, Any] = (None, None, None, None)

    @property
    def decision(self) -> str | None:
        return parse_action(self.action)

    @property
    def reduction(self) -> str | None:
        """The declaration's kind (full, partial, none), "" for none declared, None when not
        given or not a kind."""
        return None if self.itc_reduction is None else parse_itc_reduction(self.itc_reduction)

    @property
    def given_amounts(self) -> dict[str, Any]:
        return {c: v for c, v in zip(DECL_COLUMNS, self.amounts, strict=True) if v is not None and v != ""}

    @property
    def where(self) -> str:
        if self.sheet is None:
            return "" if self.row is None else f"row {self.row}"
        return f"[{self.sheet}]" + ("" if self.row is None else f" row {self.row}")


@dataclass(frozen=True, slots=True)
class DecisionProblem:
    """Why a proposed decision is refused: where it came from, its key, the rule and the reason."""

    sheet: str | None
    row: int | None
    key: str
    rule: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"sheet": self.sheet, "row": self.row, "key": self.key, "rule": self.rule, "reason": self.reason}

    def __str__(self) -> str:
        where = Proposal(self.key, "", sheet=self.sheet, row=self.row).where
        return f"{where + ', ' if where else ''}key {self.key or '(blank)'}: {self.reason}"


def check(proposal: Proposal, row: Mapping[str, Any] | None) -> list[DecisionProblem]:
    """The problems of one proposed decision against its result row (None: no such key)."""

    def problem(rule: str, reason: str) -> DecisionProblem:
        return DecisionProblem(proposal.sheet, proposal.row, proposal.key, rule, reason)

    out: list[DecisionProblem] = []
    if row is None:
        reason = "no matching key on this row" if not proposal.key else "no document with this matching key in the run"
        out.append(problem("unknown_key", reason))
    action = proposal.decision
    if action is None:
        out.append(problem("unknown_action",
                           f"action {proposal.action!r} is not one of {', '.join(DECISION_ACTIONS)}"))  # fmt: skip
    if row is None:
        return out
    if row.get("match_status") in REGISTER_ONLY:
        out.append(problem("register_only", f"a register-only row ({row.get('match_status')}): "
                           "nothing to act on in IMS"))  # fmt: skip
        return out
    if action is None:
        return out
    remarks = clean_remarks(proposal.remarks)
    kind, amounts = proposal.reduction, proposal.given_amounts
    numbers = {c: _amount(v) for c, v in amounts.items()}
    if proposal.itc_reduction is not None and kind is None:
        out.append(problem("unknown_itc_reduction", f"ITC reduction {proposal.itc_reduction!r} is not one of "
                           "Full, Partial, None (or blank: no declaration)"))  # fmt: skip
    bad = [f"{c} {amounts[c]!r}" for c, v in numbers.items() if v is None]
    if bad:
        out.append(problem("decl_not_a_number", "declared amounts must be numbers: " + ", ".join(bad)))
    if amounts and (proposal.itc_reduction is None or kind == ""):
        out.append(problem("decl_without_kind", "declared amounts need a partial ITC reduction: "
                           "--itc-reduction partial (in the workbook: Partial in itc_reduction)"))  # fmt: skip
    values = {"matching_key": proposal.key, **{m: row.get(f"ims_{m}") for m, _ in HEADS.values()}}
    if "is_itc_red_req_blocked" in row:
        values["is_itc_red_req_blocked"] = row["is_itc_red_req_blocked"]
    if kind:
        values |= {"itc_reduction": kind, "itc_red_req": DECLARATION_KINDS[kind],
                   **{c: v for c, v in numbers.items() if v is not None}}  # fmt: skip
    for rule, reason in action_problems(action_code(action), row.get("ims_section"),
                                        row.get("ims_ispendactblocked"), remarks, values=values):  # fmt: skip
        out.append(problem(rule, reason))
    return out


def declaration(proposal: Proposal, row: Mapping[str, Any] | None) -> dict[str, Any]:
    """The declaration stored with a valid decision: ``itc_red_req`` and ``decl_*`` (all None
    without one). A partial one declares 0 for each head without tax that was not named."""
    kind = proposal.reduction
    out: dict[str, Any] = dict.fromkeys(("itc_red_req", *DECL_COLUMNS))
    if not kind:
        return out
    out["itc_red_req"] = DECLARATION_KINDS[kind]
    if kind == PARTIAL:
        given = {c: _amount(v) for c, v in proposal.given_amounts.items()}
        out |= {c: round(given[c], 2) if given.get(c) is not None else 0.0 for c in DECL_COLUMNS}
    return out


def declaration_kind(itc_red_req: Any, amounts: Sequence[Any]) -> str | None:
    """A stored declaration as the user names it: full, partial, none, or None without one."""
    if itc_red_req == "N":
        return NONE
    if itc_red_req == "Y":
        return PARTIAL if any(a is not None for a in amounts) else FULL
    return None


def rows_by_key(result: pl.DataFrame) -> dict[str, dict[str, Any]]:
    """The result rows a check needs, by matching key."""
    cols = [c for c in ROW_COLUMNS if c in result.columns]
    return {r["matching_key"]: r for r in result.select(cols).iter_rows(named=True) if r["matching_key"]}


def _asked(p: Proposal) -> tuple[Any, ...]:
    return p.decision, clean_remarks(p.remarks), p.reduction, tuple(_amount(v) for v in p.given_amounts.values())


def validate(proposals: Sequence[Proposal], rows: Mapping[str, Mapping[str, Any]]) -> list[list[DecisionProblem]]:
    """The problems of each proposal (an empty list: it may be applied), in order. ``rows`` is
    :func:`rows_by_key` of the run's result. A key given again with another decision (action or
    remarks) is refused on its later rows; given again alike, it is fine (applied once)."""
    first: dict[str, Proposal] = {}
    out = []
    for p in proposals:
        problems = check(p, rows.get(p.key))
        seen = first.get(p.key)
        if seen is None:
            first[p.key] = p
        elif _asked(seen) != _asked(p):
            where = seen.where or "earlier"
            problems.append(DecisionProblem(p.sheet, p.row, p.key, "key_repeated",
                                            f"the key is given again ({where}) with another decision"))  # fmt: skip
        out.append(problems)
    return out


def _same_amount(a: Any, b: Any) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and abs(float(a) - float(b)) <= TOLERANCE)


def is_unchanged(proposal: Proposal, latest: Mapping[str, Any] | None, declared: Mapping[str, Any] | None = None) -> bool:
    """Would the proposal change nothing? True when the latest decision for its key has the same
    action, the proposal's remarks are not given or equal to the stored ones, and its declaration
    (``declared``: :func:`declaration`) is not given or equal to the stored one."""
    if latest is None or latest.get("action") != proposal.decision:
        return False
    if proposal.remarks is not None and clean_remarks(proposal.remarks) != clean_remarks(latest.get("remarks")):
        return False
    if proposal.itc_reduction is None or declared is None:
        return True
    return declared.get("itc_red_req") == latest.get("itc_red_req") and all(
        _same_amount(declared.get(c), latest.get(c)) for c in DECL_COLUMNS)


def declares_in_full(action: pl.Expr) -> pl.Expr:
    """Where the tool's advice (a recommendation, a suggestion) to accept comes with a full
    ITC-reduction declaration: ``action`` Accept on a credit note the books hold (the
    recommendation "the ITC reduction will be declared"). Reads ``ims_section`` and
    ``match_status``; :func:`with_full_declarations` leaves out records that block declarations."""
    from imsrecon.recommend import books_hold, specified

    return (action.fill_null("").str.to_lowercase() == ACCEPT.lower()) & specified & books_hold


def with_full_declarations(rows: pl.DataFrame, action: str) -> pl.DataFrame:
    """``rows`` with ``_declare_full``: :func:`declares_in_full` of their ``action`` column, where
    the rows' ``is_itc_red_req_blocked`` (if there) does not block it."""
    when = declares_in_full(pl.col(action))
    if "is_itc_red_req_blocked" in rows.columns:
        when &= ~yes_expr(pl.col("is_itc_red_req_blocked"))
    return rows.with_columns(when.fill_null(False).alias("_declare_full"))


def recommended(rows: Iterable[Mapping[str, Any]]) -> list[Proposal]:
    """Each row's recommended action as a proposal, where it is not empty; with a full
    ITC-reduction declaration where the row's ``_declare_full`` says so
    (:func:`with_full_declarations`)."""
    return [
        Proposal(r["matching_key"], r["recommended_action"], note=f"recommended ({r.get('recommendation_rule')})"
                 + ("; the ITC reduction declared in full" if r.get("_declare_full") else ""),
                 itc_reduction=FULL if r.get("_declare_full") else None)
        for r in rows
        if r.get("recommended_action")
    ]


__all__ = [
    "ACCEPT", "DECISION_ACTIONS", "DECL_COLUMNS", "FULL", "ITC_REDUCTION_WORDS", "NONE", "NO_ACTION", "PARTIAL",
    "PENDING", "REGISTER_ONLY", "REJECT", "DecisionProblem", "Proposal", "action_code", "check", "clean_remarks",
    "declaration", "declaration_kind", "declares_in_full", "is_unchanged", "parse_action", "parse_itc_reduction",
    "recommended", "rows_by_key", "validate", "with_full_declarations",
]  # fmt: skip
