"""Database size per 100,000 cases (issue 16, point 7), from orders the platform really made.

    make cluster && .venv/bin/python benchmarks/load.py ...   # real orders, sealed by workers
    .venv/bin/python benchmarks/db_size.py [--source postgres://postgres@127.0.0.1:5434/eloket_cluster]
        [--scratch postgres://postgres@127.0.0.1:5432/eloket_size] [--cases 100000] [--keep]

The source database (the cluster's, after a load test) is copied into a scratch database
(pg_dump | psql; dropped at the end unless --keep). Its certificate orders are the templates:
each template case is copied with everything that belongs to it (the rows that point at it:
timeline, certificate order, idempotency record, sealed documents with their PDF and status
changes, messages, notes; and the rows that name it: access-log entries, audit events,
outbox messages) until --cases new cases exist, in batches of INSERT ... SELECT (bulk, in
the server), with fresh codes and hash-chain positions. Then pg_total_relation_size of each
table (data, TOAST, indexes) before and after gives the bytes per 100,000 cases. Loopback
only; never run against a production database (it writes).
"""

import argparse
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
BATCH = 5_000
TEMPLATE_KIND = "certificate_order"
# Tables that name a case by its code rather than point at it: (table, column, prefix,
# filter). Their chains (chain, sequence) get positions of a chain of this benchmark's own.
NAMING = (
    ("register_accesslogentry", "case_ref", "order:", ""),
    ("audit_auditevent", "object_ref", "", "object_type = 'case'"),
    ("outbox_outboxmessage", "ref", "case:", ""),
)


def loopback(url: str) -> str:
    host = urlsplit(url).hostname or ""
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"refusing a database that is not on loopback: {host}")
    return url


def pg_tool(name: str) -> str:
    found = shutil.which(name) or next(
        (str(p) for p in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))[::-1]), None
    )
    if found is None:
        raise SystemExit(f"PostgreSQL's {name} is missing: apt-get install postgresql-client")
    return found


def with_database(url: str, name: str) -> str:
    return urlsplit(url)._replace(path=f"/{name}").geturl()


def one(conn: psycopg.Connection, query: str, params: list[object] | None = None) -> Any:
    row = conn.execute(query, params).fetchone()
    assert row is not None
    return row[0]


def sizes(conn: psycopg.Connection) -> dict[str, int]:
    query = "SELECT relname, pg_total_relation_size(relid) FROM pg_stat_user_tables"
    return {name: size for name, size in conn.execute(query).fetchall()}


def columns(conn: psycopg.Connection, table: str) -> list[str]:
    """The columns an INSERT names: all but the identity `id`."""
    return [
        name
        for (name,) in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public'"
            " AND table_name = %s AND column_name <> 'id' ORDER BY ordinal_position",
            [table],
        )
    ]


def case_tables(conn: psycopg.Connection) -> list[str]:
    """Tables with a foreign key `case_id` to cases_case (documents first: their status
    changes follow them)."""
    rows = conn.execute(
        "SELECT DISTINCT c.conrelid::regclass::text FROM pg_constraint c JOIN pg_attribute a"
        " ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]"
        " WHERE c.contype = 'f' AND c.confrelid = 'cases_case'::regclass AND a.attname = 'case_id'"
    ).fetchall()
    return sorted((name for (name,) in rows), key=lambda t: t != "documents_issueddocument")


def copy_rows(conn: psycopg.Connection, table: str, join: str, overrides: dict[str, str],
              mapping_from: str = "map m") -> int:  # fmt: skip
    """Copy the rows of `table` that `join` matches in the mapping, with `overrides`
    (column -> SQL expression; `id` to give the copies the ids the mapping chose)."""
    names = (["id"] if "id" in overrides else []) + columns(conn, table)
    select = ", ".join(overrides.get(name, f"t.{name}") for name in names)
    cursor = conn.execute(
        f"INSERT INTO {table} ({', '.join(names)}) SELECT {select} FROM {table} t"  # noqa: S608 - names from the catalogue
        f" JOIN {mapping_from} ON {join}"
    )
    return cursor.rowcount


def multiply(conn: psycopg.Connection, wanted: int) -> int:
    templates = one(conn, "SELECT count(*) FROM cases_case WHERE kind = %s", [TEMPLATE_KIND])
    if not templates:
        raise SystemExit(
            "no certificate orders to copy: run benchmarks/load.py on the cluster first"
        )
    print(f"{templates} real certificate orders as templates", flush=True)
    conn.execute(
        "CREATE TEMP TABLE tpl AS SELECT id, tracking_code, row_number() OVER (ORDER BY id) - 1"
        " AS n FROM cases_case WHERE kind = %s",
        [TEMPLATE_KIND],
    )
    conn.execute("CREATE TEMP SEQUENCE chain_position")
    case_seq = one(conn, "SELECT pg_get_serial_sequence('cases_case', 'id')")
    doc_seq = one(conn, "SELECT pg_get_serial_sequence('documents_issueddocument', 'id')")
    tables = case_tables(conn)
    made, started = 0, time.monotonic()
    while made < wanted:
        batch = min(BATCH, wanted - made)
        conn.execute("DROP TABLE IF EXISTS map; DROP TABLE IF EXISTS docmap")
        conn.execute(
            "CREATE TEMP TABLE map AS SELECT tpl.id AS old, tpl.tracking_code AS old_code,"
            " nextval(%s) AS new, ''::text AS new_code"
            " FROM generate_series(%s, %s) g JOIN tpl ON tpl.n = g %% %s",
            [case_seq, made, made + batch - 1, templates],
        )
        conn.execute("UPDATE map SET new_code = 'S' || lpad(new::text, 7, '0')")
        copy_rows(
            conn, "cases_case", "t.id = m.old", {"id": "m.new", "tracking_code": "m.new_code"}
        )
        for table in tables:
            overrides = {"case_id": "m.new"}
            if table == "cases_idempotencyrecord":
                overrides["key"] = "left(t.key, 80) || '-' || m.new"
            if table == "documents_issueddocument":
                conn.execute(
                    "CREATE TEMP TABLE docmap AS SELECT d.id AS old, m.new AS new_case,"
                    " nextval(%s) AS new FROM documents_issueddocument d"
                    " JOIN map m ON d.case_id = m.old",
                    [doc_seq],
                )
                copy_rows(conn, table, "t.id = dm.old",
                          {"id": "dm.new", "case_id": "dm.new_case",
                           "code": "'D' || lpad(dm.new::text, 11, '0')"}, "docmap dm")  # fmt: skip
                copy_rows(conn, "documents_documentstatuschange", "t.document_id = dm.old",
                          {"document_id": "dm.new"}, "docmap dm")  # fmt: skip
                continue
            copy_rows(conn, table, "t.case_id = m.old", overrides)
        for table, column, prefix, where in NAMING:
            overrides = {column: f"'{prefix}' || m.new_code"}
            if "sequence" in columns(conn, table):
                overrides |= {"chain": "'size-benchmark'", "sequence": "nextval('chain_position')"}
            join = f"t.{column} = '{prefix}' || m.old_code" + (f" AND t.{where}" if where else "")
            copy_rows(conn, table, join, overrides)
        conn.commit()
        made += batch
        rate = made / (time.monotonic() - started)
        print(f"  {made:>7} cases copied ({rate:,.0f}/s)", flush=True)
    return made


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default="postgres://postgres@127.0.0.1:5434/eloket_cluster")
    parser.add_argument("--scratch", default="postgres://postgres@127.0.0.1:5432/eloket_size")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args(argv)
    source, scratch = loopback(args.source), loopback(args.scratch)
    name = urlsplit(scratch).path.strip("/")
    if not re.fullmatch(r"eloket_size\w*", name):
        raise SystemExit("the scratch database's name must start with eloket_size (it is dropped)")
    admin = with_database(scratch, "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        print(f"Copying {urlsplit(source).path.strip('/')} into {name}", flush=True)
        dump = subprocess.Popen([pg_tool("pg_dump"), "--no-owner", source], stdout=subprocess.PIPE)
        subprocess.run([pg_tool("psql"), "-q", "-v", "ON_ERROR_STOP=1", scratch],
                       stdin=dump.stdout, stdout=subprocess.DEVNULL, check=True)  # fmt: skip
        if dump.wait() != 0:
            raise SystemExit("pg_dump failed")
        with psycopg.connect(scratch, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")  # the maps VACUUM adds are not the cases' growth
            before = sizes(conn)
        # Client-side binding: parameters inside CREATE TABLE AS.
        with psycopg.connect(scratch, cursor_factory=psycopg.ClientCursor) as conn:
            made = multiply(conn, args.cases)
        with psycopg.connect(scratch, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
            after = sizes(conn)
            version = one(conn, "SHOW server_version")
        grown = {t: after[t] - before.get(t, 0) for t in after if after[t] - before.get(t, 0) > 0}
        scale = 100_000 / made
        print(f"\nPostgreSQL {version}: growth per 100,000 cases (data, TOAST and indexes)")
        for table, grew in sorted(grown.items(), key=lambda item: -item[1]):
            if grew * scale >= 1 << 20:
                print(f"  {table:<40}{grew * scale / (1 << 20):>10,.1f} MB")
        total = sum(grown.values()) * scale
        print(
            f"  {'total':<40}{total / (1 << 20):>10,.1f} MB ({total / 100_000 / 1024:,.1f} kB a case)"
        )
    finally:
        if not args.keep:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            print(f"{name} dropped")


if __name__ == "__main__":
    main()
