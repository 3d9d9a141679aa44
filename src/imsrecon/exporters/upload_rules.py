"""The portal's rules on one action (domain doc §4), shared by the upload files and the decisions.

:class:`Doc` is one document as a rule sees it: its row (the document schema's parsed columns, or
a decision's values), its downloaded record (``{}`` when a decision is checked before any upload),
the new action and the portal's current one. :data:`RULES` maps a rule name to (does the portal
refuse it?, the message); every message says what to do.

The upload (:func:`imsrecon.exporters.upload.plan_upload`) checks :data:`UPLOAD_RULES`; a decision
(:func:`action_problems`) is checked against :data:`DECISION_RULES` before anything is written.

An ITC-reduction declaration (domain doc §4) is ``itc_red_req`` ``Y``/``N`` and the declared heads
``decl_igst`` … ``decl_cess``: ``Y`` without heads declares the reduction in full, ``Y`` with heads
a partial one (remarks needed), ``N`` no reduction (remarks needed). Accepting a specified record
(a credit note, or an amendment the portal marks with ``isItcRedReqBlocked`` = N) needs one,
unless the record blocks it (``isItcRedReqBlocked`` = Y): the portal answers ``IMSSAV0054``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any

from imsrecon.normalise.flags import NO, flag_value, is_yes
from imsrecon.sections import FIELD_ALIASES, DocClass, Section, section_for_key

__all__ = [
    "DECISION_RULES", "DECLARATION_KINDS", "HEADS", "MAX_REMARKS", "RULES", "UPLOAD_RULES", "Doc",
    "action_problems", "spellings",
]  # fmt: skip

MAX_REMARKS = 250  # unconfirmed (domain doc §4: "max length unconfirmed, 250 seen")
TOLERANCE = 0.005  # amounts compare at paise precision
# declared amount -> (its tax head's model column, portal field)
HEADS = {"decl_igst": ("igst", "iamt"), "decl_cgst": ("cgst", "camt"), "decl_sgst": ("sgst", "samt"),
         "decl_cess": ("cess", "cess")}  # fmt: skip
# model column -> the portal field an upload sets (when the record has none of its spellings)
UPLOAD_FIELDS = {"remarks": "remarks", "itc_red_req": "itcRedReq", "decl_igst": "declIgst",
                 "decl_cgst": "declCgst", "decl_sgst": "declSgst", "decl_cess": "declCess"}  # fmt: skip
FLAGS = {"ispendactblocked": "ispendactblocked", "is_remarks_blocked": "isRemarksBlocked",
         "is_itc_red_req_blocked": "isItcRedReqBlocked"}  # fmt: skip
# a decision's declaration, as the user names it -> itc_red_req
DECLARATION_KINDS = {"full": "Y", "partial": "Y", "none": "N"}
_HEAD_FLAG = {c: "--reduce-" + c.removeprefix("decl_") for c in HEADS}  # the decide command's options


@cache
def spellings(canonical: str) -> tuple[str, ...]:
    return (canonical, *(k for k, v in FIELD_ALIASES.items() if v == canonical and k != canonical))


def _num(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def same(a: float | None, b: float | None) -> bool:
    return (a is None) == (b is None) and (a is None or abs(a - b) <= TOLERANCE)  # type: ignore[operator]


@dataclass
class Doc:
    """One document being checked: the row, its downloaded record, and what would change."""

    row: dict[str, Any]
    section: Section  # checked before any rule runs
    rec: dict[str, Any]
    new: str
    current: str

    def flag(self, column: str) -> bool:
        """A Y/N block flag: the parsed column, else the record under any spelling."""
        value = self.row.get(column)
        if value is None:
            value = next((self.rec[k] for k in spellings(FLAGS[column]) if k in self.rec), None)
        return is_yes(value)

    def downloaded(self, column: str) -> Any:
        return next((self.rec[k] for k in spellings(UPLOAD_FIELDS[column]) if k in self.rec), None)

    @cached_property
    def new_remarks(self) -> str | None:
        v = self.row.get("remarks")
        return v if isinstance(v, str) and v.strip() and v != self.downloaded("remarks") else None

    @cached_property
    def new_itc(self) -> dict[str, Any]:
        """The ITC-reduction fields whose value differs from the download (NaN: not a number)."""
        out: dict[str, Any] = {}
        v = self.row.get("itc_red_req")
        if v is not None and (flag_value(v) or v) != self.effective_flag(self.downloaded("itc_red_req")):
            out["itc_red_req"] = flag_value(v) or v
        for col in HEADS:
            v = _num(self.row.get(col))
            if self.row.get(col) is not None and (v is None or not same(v, _num(self.downloaded(col)))):
                out[col] = v if v is not None else math.nan
        return out

    def effective(self, column: str) -> Any:
        """The value the record will carry: the new one, else the downloaded one."""
        new = self.new_remarks if column == "remarks" else self.new_itc.get(column)
        if new is not None:
            return new
        value = self.downloaded(column)
        if column == "itc_red_req":
            return self.effective_flag(value)
        return _num(value) if column in HEADS else value

    @staticmethod
    def effective_flag(value: Any) -> Any:
        """A downloaded flag as Y/N (JSON true is Y); anything else as given, for the checks."""
        return flag_value(value) or value

    def tax(self, column: str) -> float:
        model, portal = HEADS[column]
        value = self.row.get(model)
        return (_num(value) if value is not None else _num(self.rec.get(portal))) or 0.0

    @cached_property
    def reduction(self) -> str | None:
        """The effective declaration: "full", "partial", "nil", or None without one.
        Under Y a head without a declared amount counts as reduced in full."""
        itc = self.effective("itc_red_req")
        if itc != "Y":
            return "nil" if itc == "N" else None
        declared = {c: self.effective(c) for c in HEADS}
        if all(v is not None and v <= TOLERANCE for v in declared.values()):
            return "nil"
        return "partial" if any(v is not None and v < self.tax(c) - TOLERANCE for c, v in declared.items()) else "full"

    @property
    def declared_new(self) -> dict[str, float]:
        return {c: v for c, v in self.new_itc.items() if c in HEADS}

    @property
    def above_tax(self) -> list[str]:
        return [f"{c} {v:.2f} > tax {self.tax(c):.2f}" for c in HEADS
                if (v := self.effective(c)) is not None and v > self.tax(c) + TOLERANCE]  # fmt: skip

    @property
    def unnamed_heads(self) -> list[str]:
        """A partial declaration's heads with tax but no declared amount (checked on decisions)."""
        return [c for c in HEADS if self.row.get(c) is None and self.tax(c) > TOLERANCE]

    @property
    def specified(self) -> bool:
        """May (and, on Accept, must) an ITC reduction be declared? Credit notes and their
        amendments always; another amendment only where the portal marks it so (its record carries
        the block flag as N). A decision checked without the record (no flag column): an
        amendment may be one, and the upload checks its record."""
        if self.section.doc_class is DocClass.CREDIT_NOTE:
            return True
        if not self.section.is_amendment:
            return False
        flag = next((self.rec[k] for k in spellings(FLAGS["is_itc_red_req_blocked"]) if k in self.rec), None)
        if flag is None:
            if not self.rec and "is_itc_red_req_blocked" not in self.row:
                return True
            flag = self.row.get("is_itc_red_req_blocked")
        return flag_value(flag) == NO

    @property
    def what(self) -> str:
        return "a credit note" if self.section.doc_class is DocClass.CREDIT_NOTE else "a downward amendment"


def _cgst_ne_sgst(d: Doc) -> bool:
    c, s = d.effective("decl_cgst"), d.effective("decl_sgst")
    return (c is not None or s is not None) and not same(c, s)


def _shown(amount: float | None) -> str:
    return "(none)" if amount is None else f"{amount:.2f}"


def _how_to_declare(d: Doc) -> str:
    key = d.row.get("matching_key") or "KEY"
    return (f"decide one with `imsrecon decide {key} --action accept --itc-reduction full|partial|none` "
            "(partial and none need --remarks), or in the report workbook's itc_reduction column and "
            "`imsrecon decide --from`")  # fmt: skip


_ITC = "ITC-reduction fields"

# rule -> (does the portal refuse the document?, the message) (domain doc §4). Remarks and ITC
# fields are checked where they change; a value as downloaded is the portal's own and is echoed.
RULES: dict[str, tuple[Callable[[Doc], bool], Callable[[Doc], str]]] = {
    "pending_blocked": (
        lambda d: d.new == "P" and d.flag("ispendactblocked"),
        lambda d: "Pending is not allowed for this record (ispendactblocked = Y): accept or reject it"),
    "reject_import_of_goods": (
        lambda d: d.new == "R" and d.section.import_of_goods,
        lambda d: "import of goods can be accepted or kept pending, never rejected"),
    "remarks_blocked": (
        lambda d: d.new_remarks is not None and d.flag("is_remarks_blocked"),
        lambda d: "remarks are blocked for this record (isRemarksBlocked = Y): decide again without remarks"),
    "remarks_too_long": (
        lambda d: d.new_remarks is not None and len(d.new_remarks) > MAX_REMARKS,
        lambda d: f"remarks have {len(d.new_remarks or '')} characters, more than {MAX_REMARKS}: shorten them"),
    "remarks_not_allowed": (
        lambda d: d.new_remarks is not None and (d.new == "N" or (d.new == "A" and d.reduction is None)),
        lambda d: f"remarks go with Reject, Pending or Accept with an ITC-reduction declaration, not {d.new}"),
    "itc_red_req_missing": (
        lambda d: d.new == "A" and d.specified and not d.flag("is_itc_red_req_blocked") and not d.new_itc
        and d.effective("itc_red_req") not in ("Y", "N"),
        lambda d: f"accepting {d.what} needs an ITC-reduction declaration (itcRedReq; without one the portal "
        f"answers IMSSAV0054): {_how_to_declare(d)}"),
    "itc_red_req_blocked": (
        lambda d: bool(d.new_itc) and d.flag("is_itc_red_req_blocked"),
        lambda d: f"{_ITC} are blocked for this record (isItcRedReqBlocked = Y): accept it without a declaration"),
    "itc_red_req_not_specified": (
        lambda d: bool(d.new_itc) and not d.specified,
        lambda d: f"{_ITC} apply to credit notes and downward amendments only: decide without a declaration"),
    "itc_red_req_not_accept": (
        lambda d: bool(d.new_itc) and d.new != "A",
        lambda d: f"{_ITC} go with Accept only, not {d.new}: clear the declaration or accept"),
    "itc_red_req_value": (
        lambda d: bool(d.new_itc) and d.effective("itc_red_req") not in ("Y", "N"),
        lambda d: f"itc_red_req must be Y or N, not {d.effective('itc_red_req')!r}"),
    "decl_negative": (
        lambda d: any(not v >= 0 for v in d.declared_new.values()),
        lambda d: "declared amounts must be numbers of at least 0: "
        + ", ".join(f"{c} {v}" for c, v in d.declared_new.items() if not v >= 0)),
    "decl_above_tax": (
        lambda d: bool(d.new_itc) and bool(d.above_tax),
        lambda d: "declared amount above the record's tax: " + "; ".join(d.above_tax)),
    "decl_cgst_ne_sgst": (
        lambda d: bool(d.new_itc) and _cgst_ne_sgst(d),
        lambda d: f"declared CGST {_shown(d.effective('decl_cgst'))} differs from declared SGST "
        f"{_shown(d.effective('decl_sgst'))}: declare the same amount for both"),
    "decl_with_itc_red_req_n": (
        lambda d: bool(d.new_itc) and d.effective("itc_red_req") == "N"
        and any((d.effective(c) or 0) > TOLERANCE for c in HEADS),
        lambda d: "amounts declared with no reduction (itc_red_req = N): declare a partial reduction or no amounts"),
    "decl_without_remarks": (
        lambda d: bool(d.new_itc) and d.reduction in ("partial", "nil") and not (d.effective("remarks") or "").strip(),
        lambda d: f"a {d.reduction} ITC reduction needs remarks (why the ITC is reduced in part or not at all)"),
    # on decisions only: how the user named the declaration (row "itc_reduction": full/partial/none)
    "decl_partial_heads_missing": (
        lambda d: d.row.get("itc_reduction") == "partial" and bool(d.unnamed_heads),
        lambda d: "a partial ITC reduction names the amount of every head the note carries tax in: give "
        + ", ".join(f"{_HEAD_FLAG[c]} (tax {d.tax(c):.2f})" for c in d.unnamed_heads)
        + " (in the workbook: the reduce_… columns)"),
    "decl_amounts_with_full": (
        lambda d: d.row.get("itc_reduction") == "full" and any(d.row.get(c) is not None for c in HEADS),
        lambda d: "a full ITC reduction takes no amounts: declare partial with the amounts, or leave them out"),
}  # fmt: skip

_DECISION_ONLY = ("decl_partial_heads_missing", "decl_amounts_with_full")
# The rules that apply only where a declaration is given (the row's fields they read)
_DECLARATION_RULES = frozenset(r for r in RULES if r.startswith(("itc_red_req_", "decl_")) and r != "itc_red_req_missing")
_DECLARING = ("itc_reduction", "itc_red_req", *HEADS)
# What the upload checks: every rule but those on how a decision names its declaration.
UPLOAD_RULES = tuple(r for r in RULES if r not in _DECISION_ONLY)
# What a decision is checked against before any upload: they need no downloaded record. A missing
# declaration is not refused here (the upload refuses it, saying how to decide one).
DECISION_RULES = tuple(r for r in RULES if r not in ("remarks_blocked", "itc_red_req_missing"))


def action_problems(
    new_action: str, ims_section: str | None, ispendactblocked: Any = None, remarks: str | None = None,
    rules: tuple[str, ...] = DECISION_RULES, values: dict[str, Any] | None = None,
) -> list[tuple[str, str]]:
    """(rule, message) for each of ``rules`` (names in :data:`RULES`) that one proposed action
    (``A``/``R``/``P``/``N``) would break, checked without a downloaded record: for checking a
    decision before an upload is planned. ``values`` are the decision's declaration
    (``itc_reduction``, ``itc_red_req``, ``decl_*``), the record's tax (``igst`` … ``cess``), its
    ``is_itc_red_req_blocked`` flag where known and its ``matching_key``. A section that is not an
    IMS section is refused."""
    section = section_for_key(ims_section or "")
    if section is None:
        return [("unknown_section", f"section {ims_section!r} is not an IMS section")]
    row = {**(values or {}), "ispendactblocked": ispendactblocked, "remarks": remarks}
    if not any(row.get(c) is not None for c in _DECLARING):  # every declaration rule needs one: skip them
        rules = tuple(r for r in rules if r not in _DECLARATION_RULES)
    d = Doc(row, section, {}, new_action, "")
    return [(rule, RULES[rule][1](d)) for rule in rules if RULES[rule][0](d)]
