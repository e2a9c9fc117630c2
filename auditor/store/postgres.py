"""PostgreSQL behind the small part of sqlite-utils' interface the store uses, so one Store serves both.

The store's SQL is written once, in the dialect both engines share (`on conflict … do update`,
`?` placeholders, ISO-8601 text times). This module turns `?` into psycopg's `%s`, creates tables and
indexes from the same column dictionaries the SQLite migrations use, and installs the two SQLite
functions the console's queries call (`instr`, `json_each` over text). Writes keep SQLite's meaning:
`Store.write()` takes one transaction-scoped advisory lock, so writers take turns across every
process and machine, and readers never wait.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from typing import Any, Iterable, Iterator

import psycopg
from psycopg.rows import dict_row
from psycopg.types.numeric import NumericLoader

from auditor.store.reconnect import connect_patiently, dropped


WRITE_LOCK = 0x4155_4449  # "AUDI": the store's one writer lock (pg_advisory_xact_lock)
SCHEMA_LOCK = 0x4155_4453

_TYPES = {int: "BIGINT", str: "TEXT", float: "DOUBLE PRECISION", bytes: "BYTEA"}
_TOKENS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\?|%")

COMPAT = [
    # SQLite's instr(haystack, needle): 1-based position or 0, as strpos
    "create or replace function instr(a text, b text) returns integer language sql immutable"
    " as 'select strpos(a, b)'",
    # SQLite's json_each over a JSON text: one row per member with its key (objects) and value
    "create or replace function json_each(doc text) returns table(key text, value text) language sql immutable as $$"
    " select k, v #>> '{}' from jsonb_each(case when jsonb_typeof(doc::jsonb) = 'object' then doc::jsonb"
    " else '{}'::jsonb end) as e(k, v)"
    " union all select (o - 1)::text, v #>> '{}' from jsonb_array_elements(case when jsonb_typeof(doc::jsonb) = 'array'"
    " then doc::jsonb else '[]'::jsonb end) with ordinality as a(v, o) $$",
]


def translate(sql: str) -> str:
    """SQLite's `?` placeholders as psycopg's `%s`; a literal `%` doubled; quoted text left alone."""
    def one(m: re.Match) -> str:
        t = m.group(0)
        return "%s" if t == "?" else "%%" if t == "%" else t.replace("%", "%%") if t[0] == "'" else t
    return _TOKENS.sub(one, sql)


class _Numeric(NumericLoader):
    """numeric as SQLite gives it: sum() of integers an int, anything with a fraction a float (never a Decimal;
    the store keeps money as text)."""

    def load(self, data):
        value = super().load(data)
        return int(value) if value == value.to_integral_value() else float(value)


class _Conn:
    """What the store asks of sqlite3's connection: in_transaction, execute, executemany."""

    def __init__(self, db: "PostgresDatabase"):
        self._db = db

    @property
    def in_transaction(self) -> bool:
        return self._db.raw.info.transaction_status != psycopg.pq.TransactionStatus.IDLE

    def execute(self, sql: str, params: Iterable[Any] = ()) -> psycopg.Cursor:
        return self._db.execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[Iterable[Any]]) -> psycopg.Cursor:
        cur = self._db.live().cursor()
        cur.executemany(translate(sql), [tuple(r) for r in rows])
        return cur


class PostgresDatabase:
    """One connection in autocommit; `transaction()` / `atomic()` for what must go together."""

    dialect = "postgresql"

    def __init__(self, url: str):
        self.url = url
        self.raw = self._connect()
        self.depth = 0  # transactions open: a connection lost inside one is never made again there
        self.conn = _Conn(self)
        self.keys: dict[str, list[str]] = {}  # table -> its primary key columns (PostgresTable._pk)
        if not self.raw.execute("select to_regprocedure('instr(text,text)') is not null"
                                " and to_regprocedure('json_each(text)') is not null").fetchone()[0]:
            with self.transaction(SCHEMA_LOCK):  # processes opening a new database at once take turns
                for sql in COMPAT:
                    self.raw.execute(sql)

    def _connect(self) -> psycopg.Connection:
        raw = psycopg.connect(self.url, autocommit=True, connect_timeout=10)
        raw.adapters.register_loader("numeric", _Numeric)
        return raw

    def live(self) -> psycopg.Connection:
        """The connection, made again when the server dropped it (a restart, an idle timeout, a pooler, a backend
        terminated): an idle connection's loss is found before a statement is sent on it, and the new connection
        waits for a restarting server (`reconnect`); a statement cut mid-flight failed with it, and the next ones
        go on a new connection. Never inside a transaction, which the loss has ended anyway."""
        if self.depth == 0 and dropped(self.raw):
            try:
                self.raw.close()
            finally:
                self.raw = connect_patiently(self._connect, "the store")
            self.keys.clear()
        return self.raw

    def close(self) -> None:
        self.raw.close()

    def execute(self, sql: str, params: Iterable[Any] = ()) -> psycopg.Cursor:
        return self.live().execute(translate(sql), tuple(params or ()))

    def query(self, sql: str, params: Iterable[Any] = ()) -> Iterator[dict]:
        with self.live().cursor(row_factory=dict_row) as cur:
            cur.execute(translate(sql), tuple(params or ()))
            yield from cur.fetchall()

    @contextmanager
    def atomic(self) -> Iterator[None]:
        with self.live().transaction(), self._inside():
            yield

    @contextmanager
    def _inside(self) -> Iterator[None]:
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1

    @contextmanager
    def transaction(self, lock: int | None = WRITE_LOCK) -> Iterator[None]:
        """A transaction that first takes the writer lock (so writes take turns, as in SQLite's BEGIN IMMEDIATE)."""
        with self.live().transaction(), self._inside():
            if lock is not None:
                self.raw.execute("select pg_advisory_xact_lock(%s)", (lock,))
            yield

    def table_names(self) -> list[str]:
        return [r[0] for r in self.live().execute(
            "select table_name from information_schema.tables where table_schema = current_schema()")]

    def __getitem__(self, name: str) -> "PostgresTable":
        return PostgresTable(self, name)


class PostgresTable:
    """sqlite-utils' Table, as far as the store and its migrations use it."""

    def __init__(self, db: PostgresDatabase, name: str):
        self.db, self.name = db, name
        self.last_pk: Any = None

    def _pk(self) -> list[str]:
        """The table's primary key columns, read from the catalogue once per connection (they never change)."""
        if self.name in self.db.keys:
            return self.db.keys[self.name]
        rows = self.db.live().execute(
            "select a.attname from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)"
            " where i.indrelid = %s::regclass and i.indisprimary order by array_position(i.indkey, a.attnum)",
            (self.name,)).fetchall()
        keys = [r[0] for r in rows]
        if keys:  # a table not made yet is asked again
            self.db.keys[self.name] = keys
        return keys

    # --- schema ---
    def create(self, columns: dict[str, type], pk: str | tuple[str, ...], foreign_keys: Iterable = (),
               not_null: Iterable[str] = ()) -> "PostgresTable":
        keys = [pk] if isinstance(pk, str) else list(pk)
        parts = []
        for col, kind in columns.items():
            if keys == [col] and kind is int:
                parts.append(f"{col} BIGINT GENERATED BY DEFAULT AS IDENTITY")
            else:
                parts.append(f"{col} {_TYPES[kind]}{' NOT NULL' if col in not_null else ''}")
        parts.append(f"PRIMARY KEY ({', '.join(keys)})")
        for col, other, other_col in foreign_keys:
            parts.append(f"FOREIGN KEY ({col}) REFERENCES {other} ({other_col})")
        self.db.live().execute(f"CREATE TABLE {self.name} ({', '.join(parts)})")
        return self

    def create_index(self, columns: list[str], unique: bool = False) -> None:
        name = f"idx_{self.name}_{'_'.join(columns)}"
        self.db.live().execute(f"CREATE {'UNIQUE ' if unique else ''}INDEX {name} ON {self.name} ({', '.join(columns)})")

    def add_column(self, name: str, kind: type, not_null_default: Any = None) -> None:
        extra = "" if not_null_default is None else f" NOT NULL DEFAULT {int(not_null_default) if kind is int else repr(str(not_null_default))}"
        self.db.live().execute(f"ALTER TABLE {self.name} ADD COLUMN {name} {_TYPES[kind]}{extra}")

    def exists(self) -> bool:
        return self.name in self.db.table_names()

    # --- rows ---
    def insert(self, row: dict) -> "PostgresTable":
        cols = list(row)
        keys = self._pk()
        cur = self.db.live().execute(
            f"INSERT INTO {self.name} ({', '.join(cols)}) VALUES ({', '.join(['%s'] * len(cols))})"
            f" RETURNING {', '.join(keys)}", tuple(row.values()))
        got = cur.fetchone()
        self.last_pk = got[0] if len(keys) == 1 else tuple(got)
        return self

    def insert_all(self, rows: Iterable[dict]) -> "PostgresTable":
        rows = list(rows)
        if rows:
            cols = list(rows[0])
            with self.db.live().cursor() as cur:
                cur.executemany(f"INSERT INTO {self.name} ({', '.join(cols)}) VALUES ({', '.join(['%s'] * len(cols))})",
                                [tuple(r[c] for c in cols) for r in rows])
        return self

    def _where_pk(self, pk: Any) -> tuple[str, tuple]:
        keys = self._pk()
        values = pk if isinstance(pk, (tuple, list)) else (pk,)
        return " AND ".join(f"{k} = %s" for k in keys), tuple(values)

    def update(self, pk: Any, values: dict) -> "PostgresTable":
        where, args = self._where_pk(pk)
        self.db.live().execute(f"UPDATE {self.name} SET {', '.join(f'{k} = %s' for k in values)} WHERE {where}",
                            tuple(values.values()) + args)
        return self

    def get(self, pk: Any) -> dict:
        where, args = self._where_pk(pk)
        with self.db.live().cursor(row_factory=dict_row) as cur:
            row = cur.execute(f"SELECT * FROM {self.name} WHERE {where}", args).fetchone()
        if row is None:
            raise KeyError(f"{self.name}: no row {pk!r}")
        return row

    @property
    def rows(self) -> Iterator[dict]:
        return self.rows_where()

    def rows_where(self, where: str | None = None, params: Iterable[Any] = ()) -> Iterator[dict]:
        return self.db.query(f"select * from {self.name}" + (f" where {where}" if where else ""), params)

    def count_where(self, where: str, params: Iterable[Any] = ()) -> int:
        return self.db.execute(f"select count(*) from {self.name} where {where}", params).fetchone()[0]

    @property
    def count(self) -> int:
        return self.db.live().execute(f"select count(*) from {self.name}").fetchone()[0]
