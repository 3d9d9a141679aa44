"""The IMS sections and every portal spelling that varies between sources.

This module is the one place that holds the domain doc's *unconfirmed* choices (import-of-goods
keys, key aliases such as ``cn``/``b2bcn``, offline-tool sheet names). Change them here only.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class DocClass(StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"
    DEBIT_NOTE = "debit_note"


@dataclass(frozen=True, slots=True)
class Section:
    key: str  # JSON key in the IMS `data` envelope (canonical spelling)
    api_name: str  # `section=` value of the portal API
    doc_class: DocClass
    number_field: str
    date_field: str
    orig_number_field: str | None = None
    orig_date_field: str | None = None
    import_of_goods: bool = False

    @property
    def is_amendment(self) -> bool:
        return self.orig_number_field is not None


_INV = ("inum", "idt")
_NOTE = ("nt_num", "nt_dt")

SECTIONS: dict[str, Section] = {
    s.key: s
    for s in (
        Section("b2b", "B2B", DocClass.INVOICE, *_INV),
        Section("b2ba", "B2BA", DocClass.INVOICE, *_INV, "oinum", "oidt"),
        Section("b2bdn", "DN", DocClass.DEBIT_NOTE, *_NOTE),
        Section("b2bdna", "DNA", DocClass.DEBIT_NOTE, *_NOTE, "ont_num", "ont_dt"),
        Section("b2bcn", "CN", DocClass.CREDIT_NOTE, *_NOTE),
        Section("b2bcna", "CNA", DocClass.CREDIT_NOTE, *_NOTE, "ont_num", "ont_dt"),
        Section("ecom", "ECOM", DocClass.INVOICE, *_INV),
        Section("ecoma", "ECOMA", DocClass.INVOICE, *_INV, "oinum", "oidt"),
        # Import of goods: keys and API names unconfirmed (domain doc §2). Bill-of-entry fields.
        Section("impg", "IMPG", DocClass.INVOICE, "boenum", "boedt", import_of_goods=True),
        Section("impga", "IMPGA", DocClass.INVOICE, "boenum", "boedt", "oboenum", "oboedt", True),
        Section("impgsez", "IMPGSEZ", DocClass.INVOICE, "boenum", "boedt", import_of_goods=True),
        Section(
            "impgseza", "IMPGSEZA", DocClass.INVOICE, "boenum", "boedt", "oboenum", "oboedt", True
        ),
    )
}

# Other spellings of section keys seen in sources and error reports (read both).
SECTION_KEY_ALIASES: dict[str, str] = {
    "cn": "b2bcn",
    "dn": "b2bdn",
    "cna": "b2bcna",
    "dna": "b2bdna",
    "b2b_cn": "b2bcn",
    "b2b_dn": "b2bdn",
    "b2b_cna": "b2bcna",
    "b2b_dna": "b2bdna",
    "ecoa": "ecoma",
    "eco": "ecom",
    "impg_sez": "impgsez",
    "impg_seza": "impgseza",
}
for _s in SECTIONS.values():
    SECTION_KEY_ALIASES.setdefault(_s.api_name.lower(), _s.key)


# Section key -> the key of `invdata` in a SAVE / RESET upload (domain doc §5). The portal's own
# JSON keys; the import-of-goods keys are unconfirmed (domain doc §2).
UPLOAD_SECTION_KEYS: dict[str, str] = {key: key for key in SECTIONS}


def section_for_key(key: str) -> Section | None:
    """The section for a JSON key or API name in any known spelling, or None."""
    k = key.strip().lower().replace("-", "_")
    k = SECTION_KEY_ALIASES.get(k, k)
    return SECTIONS.get(k)


# Record-field spellings: alternative name -> canonical name (domain doc §3).
FIELD_ALIASES: dict[str, str] = {
    "ispendactnallwd": "ispendactblocked",
    "is_pend_act_blocked": "ispendactblocked",
    "itcRedReqBlocked": "isItcRedReqBlocked",
    "is_itc_red_req_blocked": "isItcRedReqBlocked",
    "is_remarks_blocked": "isRemarksBlocked",
    "itc_red_req": "itcRedReq",
    "decl_igst": "declIgst",
    "decl_cgst": "declCgst",
    "decl_sgst": "declSgst",
    "decl_cess": "declCess",
    "src_form": "srcform",
    "rtn_prd": "rtnprd",
    "src_fil_status": "srcfilstatus",
    "inv_type": "inv_typ",
    "ctin": "stin",
    "prev_status": "prev_status",
    "igst": "iamt",
    "cgst": "camt",
    "sgst": "samt",
    "ntnum": "nt_num",
    "ntdt": "nt_dt",
    "nt_date": "nt_dt",
    "inv_num": "inum",
    "inv_dt": "idt",
    # GSTR-2B spellings of the original note on cdnra (unconfirmed: `ontnum`/`ont_num` both seen)
    "ontnum": "ont_num",
    "ontdt": "ont_dt",
    # IMS offline tool (April 2026; unconfirmed, domain doc §5): its own names and camelCase ones
    "rtnTyp": "srcform",
    "sRtnPrd": "rtnprd",
    "srcForm": "srcform",
    "rtnPrd": "rtnprd",
    "srcFilStatus": "srcfilstatus",
    "invTyp": "inv_typ",
    "invType": "inv_typ",
    "isPendActBlocked": "ispendactblocked",
    "isPendActnAllwd": "ispendactblocked",
    "prevStatus": "prev_status",
    "ntNum": "nt_num",
    "ntDt": "nt_dt",
    "ontNum": "ont_num",
    "ontDt": "ont_dt",
    "oInum": "oinum",
    "oIdt": "oidt",
    "txVal": "txval",
    "isRemarkBlocked": "isRemarksBlocked",
    # GSTR-2A (portal offline download and API): reverse charge, cess, bill of entry, port code
    "rchrg": "rev",
    "csamt": "cess",
    "benum": "boenum",
    "bedt": "boedt",
    "portcd": "portcode",
}

# IMS offline-tool Excel: sheet name -> section key (unconfirmed layout, domain doc §3).
OFFLINE_SHEETS: dict[str, str] = {
    "B2B": "b2b",
    "B2BA": "b2ba",
    "B2B-DN": "b2bdn",
    "B2B-DNA": "b2bdna",
    "B2B-CN": "b2bcn",
    "B2B-CNA": "b2bcna",
    "ECO": "ecom",
    "ECOA": "ecoma",
    "IMPG": "impg",
    "IMPGA": "impga",
    "IMPGSEZ": "impgsez",
    "IMPGSEZA": "impgseza",
}

# IMS offline-tool Excel: model field -> column names seen (|-separated; compared folded).
OFFLINE_COLUMN_NAMES: dict[str, str] = {
    "supplier_gstin": "gstin of supplier|supplier gstin|gstin|gstin of the supplier|gstin/uin of supplier|stin",
    "supplier_name": "trade/legal name|trade name|legal name|supplier name|name of supplier",
    "doc_no": "invoice number|invoice no|note number|note no|debit note number|debit note no|credit note number"
    "|credit note no|document number|document no|bill of entry number|bill of entry no|boe number",
    "doc_date": "invoice date|note date|debit note date|credit note date|document date|bill of entry date|boe date",
    "inv_typ": "invoice type|note type|document type|supply type",
    "doc_value": "invoice value|note value|debit note value|credit note value|document value|bill of entry value",
    "action": "status|action|ims action|ims status|current status",
    "place_of_supply": "place of supply|pos",
    "taxable_value": "taxable value|txval",
    "igst": "integrated tax|igst|integrated tax amount",
    "cgst": "central tax|cgst|central tax amount",
    "sgst": "state/ut tax|state tax|sgst|sgst/utgst|state/ut tax amount",
    "cess": "cess|cess amount",
    "remarks": "remarks|remark",
    "srcform": "source|source form",
    "rtnprd": "source return period|return period|supplier return period",
    "srcfilstatus": "source filing status|filing status",
    "prev_status": "previous status|previous action",
    "ispendactblocked": "is pending blocked|is pending action blocked|pending blocked|pending action blocked",
    "is_remarks_blocked": "is remark blocked|is remarks blocked",
    "is_itc_red_req_blocked": "is itc reduction blocked|is itc reduction request blocked",
    "itc_red_req": "itc reduction required|is itc reduction required|itc reduction requested",
    "portcode": "port code",
    "refdt": "reference date|icegate reference date",
    "_ignore": "sheet validation errors|gst portal validation errors|portal validation errors|validation errors",
}

# Invoice-type descriptions (folded) -> portal codes.
INV_TYPE_CODES = {"regular": "R", "r": "R", "deemedexp": "DE", "deemedexport": "DE", "deemedexports": "DE", "de": "DE",
             "sezsupplieswithpayment": "SEWP", "sezwithpayment": "SEWP", "sezwp": "SEWP", "sewp": "SEWP",
             "sezsupplieswithoutpayment": "SEWOP", "sezwithoutpayment": "SEWOP", "sezwop": "SEWOP",
             "sewop": "SEWOP", "custombondedwarehouse": "CBW", "cbw": "CBW"}

# GSTR-2B `docdata` keys -> IMS-equivalent section key.
GSTR2B_KEYS: dict[str, str] = {
    "b2b": "b2b",
    "b2ba": "b2ba",
    "cdnr": "b2bcn",  # refined per note type C/D
    "cdnra": "b2bcna",
    "ecom": "ecom",
    "ecoma": "ecoma",
    "impg": "impg",
    "impgsez": "impgsez",
}
# GSTR-2B sections that never pass through IMS: read, counted and reported as not matched.
GSTR2B_NOT_MATCHED: dict[str, str] = {"isd": "ISD credit", "isda": "ISD credit amendments"}


def gstr2b_key(name: str) -> str:
    """A GSTR-2B section name in any spelling (`B2B`, `CDNR-A`, `impg_sez`, `Cdnra`) as its
    `docdata` key (`b2b`, `cdnra`, `impgsez`); unknown names come back folded the same way."""
    return name.strip().lower().replace("-", "").replace("_", "").replace(" ", "")


# GSTR-2A sections (the portal's offline download and the API, domain doc §6): key -> the
# IMS-equivalent section key (notes refined per `ntty` C/D).
GSTR2A_KEYS: dict[str, str] = {
    "b2b": "b2b",
    "b2ba": "b2ba",
    "cdn": "b2bcn",
    "cdna": "b2bcna",
    "cdnr": "b2bcn",  # GSP spellings of the same
    "cdnra": "b2bcna",
    "ecom": "ecom",
    "ecoma": "ecoma",
    "impg": "impg",
    "impgsez": "impgsez",
}
# GSTR-2A sections with no IMS equivalent: counted and reported as not matched.
GSTR2A_NOT_MATCHED: dict[str, str] = {
    "isd": "ISD credit", "isda": "ISD credit amendments", "tds": "TDS credit", "tdsa": "TDS credit amendments",
    "tcs": "TCS credit", "tcsa": "TCS credit amendments",
}  # fmt: skip
# Keys of a GSTR-1 return (the taxpayer's own outward supplies), which looks like a GSTR-2A.
GSTR1_ONLY_KEYS = frozenset({"b2cl", "b2cs", "b2csa", "b2cla", "exp", "expa", "cdnur", "cdnura", "hsn", "nil",
                             "doc_issue", "txpd", "at", "gt", "cur_gt"})

# Portal actions (domain doc §1, §4).
ACTIONS = {"A": "Accept", "R": "Reject", "P": "Pending", "N": "No action"}
ACTION_CODES = {v.lower(): k for k, v in ACTIONS.items()}
