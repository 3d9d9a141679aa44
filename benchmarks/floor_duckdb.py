"""Speed floor, DuckDB: a plain exact-key join of an IMS JSON with a purchase register CSV.

    python benchmarks/floor_duckdb.py IMS_JSON REGISTER_CSV OUT_CSV [--json from_json|read_json]

The same work as ``floor_polars.py``, in SQL:

1. read the IMS JSON envelope ``{"status_cd", "data": {"b2b": [...], "b2bcn": [...], ...}}`` and
   flatten the eight IMS sections (b2b, b2ba, b2bdn, b2bdna, b2bcn, b2bcna, ecom, ecoma) into one
   table (section, stin, number, date, txval, iamt, camt, samt, cess); invoices carry
   ``inum``/``idt``, notes ``nt_num``/``nt_dt``;
2. ``read_csv`` the register (``skip=4``: four title rows above the header), parse the five amounts
   to numbers (thousands separators removed, ``(1,234.00)`` read as -1234.00);
3. normalise document numbers on both sides the plain way: upper case, leading zeros of each digit
   run dropped, every character other than A-Z / 0-9 dropped;
4. FULL OUTER JOIN on (supplier GSTIN, normalised number) and ``COPY ... TO`` a CSV with both sides'
   number, date and five amounts.

Dates are carried as written (not parsed). DuckDB uses all cores by default.

The IMS download is one large JSON object, which DuckDB's ``read_json`` handles slowly (it needs
``maximum_object_size`` raised and took ~10x longer than the alternative at 1M documents).
The default, ``from_json``, reads the file with ``read_text`` and converts it in one pass with
``from_json(content, <structure>)`` naming only the needed keys; ``--json read_json`` uses
``read_json(..., columns=...)`` with the same structure, for comparison.
"""

from __future__ import annotations

import argparse
import json
import sys

import duckdb

AMOUNTS = ["txval", "iamt", "camt", "samt", "cess"]
INVOICE, NOTE = ("inum", "idt"), ("nt_num", "nt_dt")
SECTIONS = {
    "b2b": INVOICE, "b2ba": INVOICE, "b2bdn": NOTE, "b2bdna": NOTE,
    "b2bcn": NOTE, "b2bcna": NOTE, "ecom": INVOICE, "ecoma": INVOICE,
}
REGISTER_COLUMNS = {
    "GSTIN/UIN": "gstin",
    "Supplier Invoice No.": "number",
    "Supplier Invoice Date": "date",
    "Taxable Value": "txval",
    "Integrated Tax Amount": "iamt",
    "Central Tax Amount": "camt",
    "State/UT Tax Amount": "samt",
    "Cess Amount": "cess",
}


def sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def norm_number(expr: str) -> str:
    s = f"regexp_replace(upper({expr}), '(^|[^0-9])0+([0-9])', '\\1\\2', 'g')"
    return f"regexp_replace({s}, '[^A-Z0-9]', '', 'g')"


def amount(col: str) -> str:
    raw = f"replace(trim({col}), ',', '')"
    value = f"TRY_CAST(trim({raw}, '()') AS DOUBLE)"
    return f"CASE WHEN starts_with({raw}, '(') THEN -{value} ELSE {value} END"


def ims_source(ims_path: str, json_mode: str) -> str:
    """A query with one row and one column, ``data``: a struct of lists of records."""
    if json_mode == "from_json":
        structure = {"data": {
            name: [{"stin": "VARCHAR", num: "VARCHAR", date: "VARCHAR", **{a: "DOUBLE" for a in AMOUNTS}}]
            for name, (num, date) in SECTIONS.items()
        }}
        return (f"SELECT from_json(content, {sql_str(json.dumps(structure))}).data AS data "
                f"FROM read_text({sql_str(ims_path)})")
    fields = ", ".join(f"{a} DOUBLE" for a in AMOUNTS)
    struct = ", ".join(f"{name} STRUCT(stin VARCHAR, {num} VARCHAR, {date} VARCHAR, {fields})[]"
                       for name, (num, date) in SECTIONS.items())
    return (f"SELECT data FROM read_json({sql_str(ims_path)}, format='auto', maximum_object_size=2147483647, "
            f"columns={{'data': {sql_str(f'STRUCT({struct})')}}})")


def build_query(ims_path: str, register_path: str, json_mode: str) -> str:
    flat = " UNION ALL ".join(
        f"SELECT {sql_str(name)} AS section, r.stin, r.{num} AS number, r.{date} AS date, "
        + ", ".join(f"r.{a}" for a in AMOUNTS)
        + f" FROM (SELECT unnest(data.{name}) AS r FROM env)"
        for name, (num, date) in SECTIONS.items()
    )
    pr_cols = ", ".join(f'"{src}" AS {dst}' for src, dst in REGISTER_COLUMNS.items())
    return f"""
    WITH env AS ({ims_source(ims_path, json_mode)}),
    ims_flat AS ({flat}),
    ims AS (
        SELECT upper(stin) AS gstin, {norm_number('number')} AS key, section,
               number AS ims_number, date AS ims_date, {", ".join(f"{a} AS ims_{a}" for a in AMOUNTS)}
        FROM ims_flat
    ),
    pr_raw AS (
        SELECT {pr_cols}
        FROM read_csv({sql_str(register_path)}, skip=4, header=true, delim=',', quote='"', all_varchar=true)
    ),
    pr AS (
        SELECT upper(trim(gstin)) AS gstin, {norm_number('number')} AS key,
               number AS pr_number, date AS pr_date, {", ".join(f"{amount(a)} AS pr_{a}" for a in AMOUNTS)}
        FROM pr_raw
    )
    SELECT * FROM ims FULL OUTER JOIN pr USING (gstin, key)
    """


def run(ims_path: str, register_path: str, out_path: str, json_mode: str = "from_json") -> None:
    con = duckdb.connect()
    query = build_query(ims_path, register_path, json_mode)
    con.execute(f"COPY ({query}) TO {sql_str(out_path)} (FORMAT csv, HEADER true)")
    con.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("ims")
    ap.add_argument("register")
    ap.add_argument("out")
    ap.add_argument("--json", dest="json_mode", choices=["from_json", "read_json"], default="from_json")
    args = ap.parse_args(argv)
    run(args.ims, args.register, args.out, args.json_mode)
    return 0


if __name__ == "__main__":
    sys.exit(main())
