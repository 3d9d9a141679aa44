"""A fast reader for large IMS/GSTR JSON files whose sections are arrays of flat records.

Instead of building a Python object per record, each array is cut out of the file's bytes and
handed to Polars as newline-delimited JSON (parsed in parallel, in Rust); the record's own text
is kept as it was downloaded. The envelope around the arrays is parsed normally. Any file this
cannot read with certainty (a record that is not flat, text that looks like a separator inside
a value) makes it return None, and the caller falls back to the full parser.
"""

from __future__ import annotations

import io
import re
from typing import Any

import orjson
import polars as pl

_WS = b" \t\r\n"


def _first_non_ws(data: bytes, start: int, end: int, step: int) -> bytes:
    """The first byte of data[start:end] that is not whitespace, from the front (step 1) or
    from the back (step -1); b"" when there is none."""
    i = start if step > 0 else end - 1
    while start <= i < end and data[i] in _WS:
        i += step
    return data[i : i + 1] if start <= i < end else b""


def _array_spans(data: bytes) -> list[tuple[int, int]] | None:
    """(start, end) of every array in the file, end exclusive, assuming no array nests and no
    bracket occurs inside a string (checked later by parsing)."""
    spans = []
    pos = 0
    while (start := data.find(b"[", pos)) >= 0:
        end = data.find(b"]", start)
        if end < 0 or data.find(b"[", start + 1, end) >= 0:
            return None
        first = _first_non_ws(data, start + 1, end, 1)
        last = _first_non_ws(data, start + 1, end, -1) if first else b""
        if first and (first != b"{" or last != b"}"):
            return None
        spans.append((start, end + 1))
        pos = end + 1
    return spans


def _empty_list_paths(node: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Paths to every (emptied) array of the skeleton, in document order."""
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in _empty_list_paths(v, (*path, k))]
    if isinstance(node, list):
        return [path]
    return []


def split_arrays(data: bytes) -> tuple[dict[str, Any], dict[tuple[str, ...], bytes]] | None:
    """(the envelope with every array emptied, path -> the array's records as NDJSON bytes)."""
    spans = _array_spans(data)
    if spans is None:
        return None
    skeleton_parts, last = [], 0
    for start, end in spans:
        skeleton_parts += [data[last:start], b"[]"]
        last = end
    skeleton_parts.append(data[last:])
    try:
        skeleton = orjson.loads(b"".join(skeleton_parts))
    except orjson.JSONDecodeError:
        return None
    paths = _empty_list_paths(skeleton)
    if len(paths) != len(spans):
        return None
    arrays = {}
    for path, (start, end) in zip(paths, spans, strict=True):
        arrays[path] = _one_record_per_line(data[start + 1 : end - 1])
    return skeleton, arrays


def _one_record_per_line(inner: bytes) -> bytes:
    """The array's records, one per line where they are separated by a plain ``},{`` (raw
    newlines in JSON are only ever whitespace); :func:`split_records` handles the rest."""
    if b"\n" in inner or b"\r" in inner:
        inner = inner.replace(b"\r", b" ").replace(b"\n", b" ")
    return inner.strip(_WS).replace(b"},{", b"}\n{")


_SEPARATOR = re.compile(rb"\}\s*,\s*\{")


def split_records(ndjson: bytes) -> bytes:
    """One record per line also where separators have blanks around them (slower)."""
    return _SEPARATOR.sub(b"}\n{", ndjson)


def record_count(ndjson: bytes) -> int:
    """How many flat records the array holds."""
    if not ndjson.strip():
        return 0
    if ndjson.count(b"}") != ndjson.count(b"\n") + 1:
        ndjson = split_records(ndjson)
    return ndjson.count(b"\n") + 1


_SAMPLE_BYTES = 1 << 20  # keys are first looked for in a section's first and last MiB
_KEY = re.compile(rb'"([A-Za-z0-9_]+)":')
_QUOTED = re.compile(rb'"([A-Za-z0-9_]+)":"')


def _schema(keys: list[str], numeric: frozenset[str]) -> dict[str, pl.DataType]:
    return {k: pl.Float64 if k in numeric else pl.String for k in keys}


def _read_present_keys(ndjson: bytes, fields: list[str], numeric: frozenset[str]) -> pl.DataFrame:
    """The records' ``fields`` that occur, as text. Asking Polars for a field that no record has
    still costs a column of nulls (~16 bytes a record: with ~60 spellings of the portal's fields,
    most of them absent, that is ~1 GB at a million records), so only the keys seen in a sample
    are read, and a count proves that no record holds another key with a value: every value has
    a colon of its own, so when the colons number the values read plus the JSON nulls, nothing
    was missed. When a text holds colons too, every key of a compact record is followed by
    ``":``, and the number of ``":`` decides the same way (an escaped ``\\":`` inside a text
    could only add to the count). Text with blanks between a key and its colon is read for every
    field at once.

    ``numeric`` fields (amounts) are read as numbers unless the sample shows one written as text;
    a text (or true, or a list) anywhere else makes Polars refuse the read, and the fields are
    then read as text (the caller's parser names each unreadable cell)."""
    colons = ndjson.count(b":")  # one byte: a third of the time of counting '":'
    sample = ndjson[:_SAMPLE_BYTES] + b"\n" + ndjson[-_SAMPLE_BYTES:]
    seen = sorted({k.decode() for k in _KEY.findall(sample)})
    quoted = {k.decode() for k in _QUOTED.findall(sample)}
    try:
        values = pl.read_ndjson(ndjson, schema=_schema(seen, numeric - quoted))
    except pl.exceptions.ComputeError:
        values = pl.read_ndjson(ndjson, schema=_schema(seen, frozenset()))
    read = sum(values.height - values[c].null_count() for c in values.columns)
    # every value read has a colon of its own: when the colons are exactly those (no colon in a
    # text, the usual case) nothing was missed, whatever the blanks; else the count of '":' decides
    nulls = ndjson.count(b'":null') if colons != read else 0
    if colons not in (read, read + nulls):
        keys = ndjson.count(b'":')
        if colons != keys and (b'" ' in ndjson or b'"\t' in ndjson):
            return pl.read_ndjson(ndjson, schema={f: pl.String for f in fields})
        if keys not in (read, read + nulls):
            values = pl.read_ndjson(ndjson, schema={k: pl.String for k in sorted({*fields, *seen})})
    return values.select(c for c in values.columns if c in fields)


def _try_read(ndjson: bytes, fields: list[str], numeric: frozenset[str]) -> pl.DataFrame | None:
    try:
        return _read_present_keys(ndjson, fields, numeric)
    except (pl.exceptions.PolarsError, orjson.JSONDecodeError):
        return None


def read_records(
    ndjson: bytes, fields: list[str], keep_text: bool = True, numeric: frozenset[str] = frozenset()
) -> pl.DataFrame | None:
    """The records as columns (``fields`` that occur: text, or numbers for ``numeric`` fields
    that hold only numbers), plus ``portal_record``: each record's own text (null when
    ``keep_text`` is off). None when the bytes are not one flat JSON object per line."""
    if not ndjson.strip():
        return pl.DataFrame(schema={**{f: pl.String for f in fields}, "portal_record": pl.String})
    values = _try_read(ndjson, fields, numeric)
    # a flat record has one "}": as many rows as "}" means one record a line, none lost
    if values is None or values.height != ndjson.count(b"}"):
        # separators with blanks around them (or a brace inside a value): split by the pattern
        ndjson = split_records(ndjson)
        values = _try_read(ndjson, fields, numeric)
        if values is None or values.height != ndjson.count(b"\n") + 1:
            return None
        # a brace that is no record's own: in a text, or an object nested in a record (which
        # Polars would hand over as its text); the full parser tells the two apart
        if any(values[c].str.starts_with("{").any() for c in values.columns if values[c].dtype == pl.String):
            return None
    if not keep_text:
        return values.with_columns(pl.lit(None, pl.String).alias("portal_record"))
    raw = pl.read_csv(
        io.BytesIO(ndjson), has_header=False, separator="\x1f", quote_char=None,
        new_columns=["portal_record"], schema={"portal_record": pl.String},
    )["portal_record"]
    if raw.len() != values.height or not (raw.str.starts_with("{") & raw.str.ends_with("}")).all():
        return None
    return values.with_columns(raw)
