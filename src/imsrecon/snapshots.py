"""Compare two IMS downloads of the same recipient: what is new, what changed, what left IMS.

A download is a document set (:data:`imsrecon.model.DOCUMENT_SCHEMA`) of IMS-side rows.

**Identity across downloads.** A document is the same document in both downloads when it has
the same ``(recipient_gstin, supplier_gstin, section family, doc_no_norm, fy)``. The *section
family* puts an amendment with its original (``b2ba`` with ``b2b``, ``b2bcna`` with ``b2bcn``,
``ecoma`` with ``ecom`` …), so an original amended under the same number is one document.
Rows that share an identity within one download are told apart by their order in the download
(originals before amendments), the same way the result's matching keys get ``#2``, ``#3`` ….

**An amendment replaces its original** (domain doc §1). When the current download holds an
amendment whose ``orig_doc_no_norm`` equals the number of a previous document of the same
recipient, supplier and section family (the previous original, or an earlier amendment of the
same original), and that document is not in the current download, the pair is reported as
*changed* with ``"amended"`` in ``changed_fields`` and the new number in ``new_doc_no`` — not as
one removed and one new document. The financial year must agree when the amendment carries the
original date; a link that is not one-to-one is left as removed + new.

**What counts as a change**: the record ``hash`` (compared only when both downloads carry one —
Excel downloads have none), the number as written, the date, the amounts (more than half a paisa
apart; a blank amount is 0), the portal ``action``, ``srcfilstatus`` and ``ispendactblocked``
(case-insensitive; a blank ``ispendactblocked`` is ``N``).

**Removed** documents are in the previous download only: accepted and rejected documents leave
IMS once GSTR-3B is filed; a supplier may also delete a saved record.

Keys use the result's matching-key format (:func:`imsrecon.match.pairs.matching_key_expr`),
``IMS/<SECTION>/<supplier GSTIN>/<normalised number>/<FY>``, so that decisions taken on a
reconciliation result can be checked with :func:`needs_review`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import polars as pl

from imsrecon.model import AMOUNT_HEADS, DOCUMENT_SCHEMA, conform
from imsrecon.normalise.dates import financial_year_expr
from imsrecon.sections import SECTION_KEY_ALIASES, SECTIONS

__all__ = [
    "COMPARED_FIELDS",
    "SnapshotDiff",
    "diff_snapshots",
    "identity_key_expr",
    "needs_review",
    "section_family",
]

# Fields compared between downloads, in the order changed_fields lists them ("amended" first).
COMPARED_FIELDS = (
    "hash", "doc_no", "doc_date", *AMOUNT_HEADS, "doc_value", "action", "srcfilstatus", "ispendactblocked",
)  # fmt: skip
AMENDED = "amended"
AMOUNT_EPSILON = 0.005
_AMOUNTS = (*AMOUNT_HEADS, "doc_value")
_CODES = ("action", "srcfilstatus", "ispendactblocked")
_NULL = "\x00"  # stands for a missing identity part, so that blanks still pair with blanks

# Every known section spelling -> canonical key, and canonical key -> family (original) key.
_CANONICAL = {**{k: k for k in SECTIONS}, **SECTION_KEY_ALIASES}
_FAMILY = {k: (k[:-1] if s.is_amendment and k[:-1] in SECTIONS else k) for k, s in SECTIONS.items()}
_AMENDMENT_KEYS = sorted(k for k, s in SECTIONS.items() if s.is_amendment)


def section_family(section: str) -> str:
    """The original section of an amendment section (``b2ba`` -> ``b2b``); others unchanged."""
    k = section.strip().lower().replace("-", "_")
    k = _CANONICAL.get(k, k)
    return _FAMILY.get(k, k)


def identity_key_expr() -> pl.Expr:
    """A document's key, in the matching-key format of the reconciliation result.

    ``IMS/<SECTION>/<supplier GSTIN>/<normalised number>/<FY>`` over document-schema columns.
    Repeats within one download get ``#2``, ``#3`` … in :func:`diff_snapshots`' frames.
    """
    return pl.format(
        "IMS/{}/{}/{}/{}",
        pl.col("ims_section").str.to_uppercase(),
        pl.col("supplier_gstin").fill_null("NOGSTIN"),
        pl.col("doc_no_norm"),
        pl.col("fy"),
    )


@dataclass(frozen=True)
class SnapshotDiff:
    """The difference between two downloads.

    ``new`` and ``removed``: ``identity_key`` followed by the document-schema columns.
    ``changed``: see :data:`CHANGED_COLUMNS`; ``old_<field>``/``new_<field>`` are filled for the
    fields named in ``changed_fields`` and null otherwise.
    """

    new: pl.DataFrame
    changed: pl.DataFrame
    removed: pl.DataFrame
    unchanged_count: int
    previous_count: int
    current_count: int

    def summary(self) -> dict[str, Any]:
        fields: Counter[str] = Counter()
        for value in self.changed["changed_fields"].to_list():
            fields.update(value.split(";"))
        order = (AMENDED, *COMPARED_FIELDS)
        return {
            "previous": self.previous_count,
            "current": self.current_count,
            "new": self.new.height,
            "changed": self.changed.height,
            "removed": self.removed.height,
            "unchanged": self.unchanged_count,
            "amended": fields.get(AMENDED, 0),
            "changed_fields": {f: fields[f] for f in order if fields.get(f)},
        }


_IDENTITY_OUT = ["recipient_gstin", "supplier_gstin", "supplier_name", "ims_section", "doc_no", "doc_no_norm",
                 "fy", "doc_date"]  # fmt: skip
CHANGED_COLUMNS = [
    "identity_key", "current_identity_key", *_IDENTITY_OUT, "current_ims_section", "changed_fields",
    *(f"{age}_{f}" for f in COMPARED_FIELDS for age in ("old", "new")),
]  # fmt: skip


def diff_snapshots(previous: pl.DataFrame, current: pl.DataFrame) -> SnapshotDiff:
    """Compare two IMS downloads (document sets) of the same recipient GSTIN.

    Raises ``ValueError`` when a row has no ``ims_section`` (not an IMS download) or when the two
    downloads belong to different recipients.
    """
    prev, cur = _prepare(previous, "previous"), _prepare(current, "current")
    _check_recipients(prev, cur)
    o, n = _side(prev, "o_"), _side(cur, "n_")
    by_identity = o.join(n, left_on="o__id", right_on="n__id", how="inner").with_columns(pl.lit(False).alias("_link"))
    prev_rest = o.join(by_identity.select("o__pos"), on="o__pos", how="anti")
    cur_rest = n.join(by_identity.select("n__pos"), on="n__pos", how="anti")
    by_amendment = _amendment_links(prev_rest, cur_rest)
    pairs = pl.concat([by_identity, by_amendment], how="diagonal_relaxed")
    compared = _compare(pairs)
    changed = compared.filter(pl.col("changed_fields") != "").sort("o__pos")
    unchanged = compared.height - changed.height
    removed = prev_rest.join(by_amendment.select("o__pos"), on="o__pos", how="anti")["o__pos"]
    new = cur_rest.join(by_amendment.select("n__pos"), on="n__pos", how="anti")["n__pos"]
    return SnapshotDiff(
        new=_documents(cur, new),
        changed=_changed_frame(changed),
        removed=_documents(prev, removed),
        unchanged_count=unchanged,
        previous_count=prev.height,
        current_count=cur.height,
    )


def needs_review(diff: SnapshotDiff, decided_keys: set[str]) -> pl.DataFrame:
    """Changed and removed documents on which a decision was taken (key in ``decided_keys``).

    A decision taken on the previous download may no longer apply: the supplier edited or amended
    the document (the portal resets the action on amendment), the action on the portal changed,
    or the document left IMS (then the decision cannot be uploaded).
    """
    keys = pl.Series(sorted(decided_keys), dtype=pl.String)
    cols = ["identity_key", "supplier_gstin", "ims_section", "doc_no", "doc_date", "fy"]
    changed = diff.changed.filter(pl.col("identity_key").is_in(keys.implode())).select(
        *cols,
        pl.lit("changed").alias("change"),
        "changed_fields",
        "new_doc_no",
        pl.when(pl.col("changed_fields").str.contains(AMENDED, literal=True))
        .then(pl.format("amended by the supplier (now {} {}): the portal resets the action, decide again",
                        pl.col("current_ims_section").str.to_uppercase(), pl.coalesce("new_doc_no", "doc_no")))
        .when(pl.col("changed_fields") == "action")
        .then(pl.format("the action on the portal changed ({} -> {}): check that it is your decision",
                        pl.col("old_action").fill_null("-"), pl.col("new_action").fill_null("-")))
        .otherwise(pl.format("changed since the previous download ({}): review the decision before uploading",
                             pl.col("changed_fields").str.replace_all(";", ", ")))
        .alias("review_reason"),
    )
    removed = diff.removed.filter(pl.col("identity_key").is_in(keys.implode())).select(
        *cols,
        pl.lit("removed").alias("change"),
        pl.lit(None, pl.String).alias("changed_fields"),
        pl.lit(None, pl.String).alias("new_doc_no"),
        pl.lit("no longer in IMS (filed in GSTR-3B or deleted by the supplier): the decision cannot be "
               "uploaded").alias("review_reason"),
    )  # fmt: skip
    return pl.concat([changed, removed], how="vertical_relaxed")


# -- internals ---------------------------------------------------------------------------------


def _prepare(df: pl.DataFrame, what: str) -> pl.DataFrame:
    """Conformed documents with position, section family, amendment flag and both identities."""
    df = conform(df)
    if df["ims_section"].null_count():
        raise ValueError(f"the {what} download has rows without ims_section: not an IMS download")
    section = pl.col("ims_section").str.strip_chars().str.to_lowercase().str.replace_all("-", "_")
    canonical = section.replace(_CANONICAL)
    df = df.with_row_index("_pos").with_columns(
        canonical.replace(_FAMILY).alias("_fam"),
        (canonical.is_in(_AMENDMENT_KEYS) | pl.col("is_amendment").fill_null(False)).alias("_amend"),
        financial_year_expr(pl.col("orig_doc_date")).alias("_orig_fy"),
    )
    parts = ["recipient_gstin", "supplier_gstin", "_fam", "doc_no_norm", "fy"]
    df = df.with_columns(pl.concat_str([pl.col(c).fill_null(_NULL) for c in parts], separator="|").alias("_id0"))
    df = df.with_columns(identity_key_expr().alias("_key0"))
    # Ordinal among equal identities: originals first, then file order.
    df = df.sort("_amend", "_pos").with_columns(
        pl.int_range(pl.len()).over("_id0").alias("_n_id"),
        pl.int_range(pl.len()).over("_key0").alias("_n_key"),
    )
    df = df.sort("_pos").with_columns(
        pl.format("{}#{}", "_id0", "_n_id").alias("_id"),
        pl.when(pl.col("_n_key") == 0).then("_key0").otherwise(pl.format("{}#{}", "_key0", pl.col("_n_key") + 1))
        .alias("identity_key"),
    )
    return df.drop("_id0", "_key0", "_n_id", "_n_key")


def _check_recipients(prev: pl.DataFrame, cur: pl.DataFrame) -> None:
    a = set(prev["recipient_gstin"].drop_nulls().to_list())
    b = set(cur["recipient_gstin"].drop_nulls().to_list())
    if a and b and not a & b:
        raise ValueError(f"the downloads belong to different recipients: {sorted(a)} and {sorted(b)}")


def _side(df: pl.DataFrame, prefix: str) -> pl.DataFrame:
    return df.select(pl.all().name.prefix(prefix))


def _amendment_links(o: pl.DataFrame, n: pl.DataFrame) -> pl.DataFrame:
    """Current amendments paired one-to-one with the previous documents they replace."""
    amendments = n.filter(pl.col("n__amend") & pl.col("n_orig_doc_no_norm").is_not_null())
    if amendments.is_empty() or o.is_empty():
        return o.clear().join(n.clear(), how="cross").with_columns(pl.lit(True).alias("_link"))
    # A previous document is reachable by its own number and, if itself an amendment, by its original's.
    targets = pl.concat([
        o.with_columns(pl.col("o_doc_no_norm").alias("_link_no"), pl.col("o_fy").alias("_link_fy")),
        o.filter(pl.col("o__amend") & pl.col("o_orig_doc_no_norm").is_not_null()).with_columns(
            pl.col("o_orig_doc_no_norm").alias("_link_no"), pl.col("o__orig_fy").alias("_link_fy")),
    ]).filter(pl.col("_link_no").is_not_null())  # fmt: skip
    on = [("recipient_gstin", "recipient_gstin"), ("supplier_gstin", "supplier_gstin"), ("_fam", "_fam")]
    left = [pl.col(f"o_{a}").fill_null(_NULL) for a, _ in on] + [pl.col("_link_no")]
    right = [pl.col(f"n_{b}").fill_null(_NULL) for _, b in on] + [pl.col("n_orig_doc_no_norm")]
    links = targets.join(amendments, left_on=left, right_on=right, how="inner")
    links = links.filter(
        pl.col("n__orig_fy").is_null() | pl.col("_link_fy").is_null() | (pl.col("n__orig_fy") == pl.col("_link_fy"))
    ).unique(["o__pos", "n__pos"])
    one_to_one = (pl.len().over("o__pos") == 1) & (pl.len().over("n__pos") == 1)
    return links.filter(one_to_one).drop("_link_no", "_link_fy").with_columns(pl.lit(True).alias("_link"))


def _changed(field: str) -> pl.Expr:
    old, new = pl.col(f"o_{field}"), pl.col(f"n_{field}")
    if field == "hash":
        return old.is_not_null() & new.is_not_null() & (old != new)
    if field in _AMOUNTS:
        return (old.fill_null(0.0) - new.fill_null(0.0)).abs() > AMOUNT_EPSILON
    if field in _CODES:
        blank = "N" if field == "ispendactblocked" else ""
        return old.str.strip_chars().str.to_uppercase().fill_null(blank) != new.str.strip_chars().str.to_uppercase(
        ).fill_null(blank)
    return old.ne_missing(new)


def _compare(pairs: pl.DataFrame) -> pl.DataFrame:
    amended = pl.col("_link") | (pl.col("n__amend") & ~pl.col("o__amend"))
    flags = [pl.when(amended).then(pl.lit(AMENDED))]
    flags += [pl.when(_changed(f)).then(pl.lit(f)) for f in COMPARED_FIELDS]
    pairs = pairs.with_columns(
        pl.concat_list(flags).list.drop_nulls().list.join(";").alias("changed_fields"),
        *(_changed(f).alias(f"_c_{f}") for f in COMPARED_FIELDS),
    )
    return pairs


def _changed_frame(pairs: pl.DataFrame) -> pl.DataFrame:
    values = []
    for f in COMPARED_FIELDS:
        dtype = DOCUMENT_SCHEMA[f]
        for age, p in (("old", "o_"), ("new", "n_")):
            values.append(pl.when(pl.col(f"_c_{f}")).then(pl.col(f"{p}{f}")).otherwise(None).cast(dtype)
                          .alias(f"{age}_{f}"))
    ident = [pl.col(f"o_{c}").alias(c) for c in _IDENTITY_OUT if c != "supplier_name"]
    out = pairs.select(
        pl.col("o_identity_key").alias("identity_key"),
        pl.col("n_identity_key").alias("current_identity_key"),
        *ident,
        pl.coalesce("n_supplier_name", "o_supplier_name").alias("supplier_name"),
        pl.col("n_ims_section").alias("current_ims_section"),
        "changed_fields",
        *values,
    )
    return out.select(CHANGED_COLUMNS)


def _documents(df: pl.DataFrame, positions: pl.Series) -> pl.DataFrame:
    rows = df.filter(pl.col("_pos").is_in(positions.implode())).sort("_pos")
    return rows.select("identity_key", *DOCUMENT_SCHEMA)
