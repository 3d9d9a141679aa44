"""A digest of a set of documents: what they are and what they say, not how the file wrote them.

The same IMS download saved again with other formatting (pretty-printed JSON, its records or
sections in another order, amounts written ``100`` or ``100.00``, another file name) has another
SHA-256 but the same documents; the workspace recognises it by this digest, stored with the
import.

What counts: every field of :data:`~imsrecon.model.DOCUMENT_SCHEMA` except where a row sits in
its file (``src_file``, ``src_sheet``, ``src_row``, ``src_line``) and the record text as written
(``portal_record``; its parsed fields count). So the recipient, the kind of download (``side``,
``source_kind``), every identity field, amount, date and portal field (``action``, ``hash`` …)
count. Rows count in any order, each as often as it is there. Amounts count to 1/10,000 of a
rupee.

Speed: two Polars row hashes, summed (0.05 s for 200,000 documents; text built per row and
SHA-256 over it took 0.9 s). Polars promises the same row hash only within one of its versions,
so the digest names the version it was made with: after an upgrade of Polars, a download
imported before is not recognised by its documents (it is by its SHA-256 still) and is imported
once more; a reconcile given both still counts each document once
(:func:`imsrecon.workflow_inputs.documents_once`).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from imsrecon.model import DOCUMENT_SCHEMA

__all__ = ["DIGEST_FIELDS", "documents_digest"]

_PLACE = ("src_file", "src_sheet", "src_row", "src_line", "portal_record")
DIGEST_FIELDS = tuple(c for c in DOCUMENT_SCHEMA if c not in _PLACE)
_SEEDS = (0x1A2B, 0x3C4D)  # two independent 64-bit sums: 128 bits
_SCHEME = "docs1"  # changes if what counts ever changes


def documents_digest(documents: pl.DataFrame) -> str | None:
    """The digest of a document set with :data:`DOCUMENT_SCHEMA` (rows in any order); None for
    no documents (two empty months are not the same download)."""
    if documents.height == 0:
        return None
    schema = documents.schema
    canonical = documents.select(
        # to 1/10,000 of a rupee; + 0.0 makes -0.0 the 0.0 it equals
        (pl.col(c) * 10_000).round(0) + 0.0 if schema[c] == pl.Float64 else pl.col(c)
        for c in DIGEST_FIELDS
    )
    sums = [int(canonical.hash_rows(seed=seed).to_numpy().sum(dtype=np.uint64)) for seed in _SEEDS]
    return f"{_SCHEME}:polars-{pl.__version__}:{documents.height}:" + "".join(f"{s:016x}" for s in sums)
