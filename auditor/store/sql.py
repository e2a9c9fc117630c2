"""Statements both engines read the same way (SQLite ≥ 3.24 and PostgreSQL take `on conflict`)."""

from __future__ import annotations


def upsert(table: str, columns: list[str] | tuple[str, ...], key: tuple[str, ...]) -> str:
    """Insert a row, or replace the values of the one with the same key (SQLite's `insert or replace`)."""
    rest = [c for c in columns if c not in key]
    return (f"insert into {table} ({', '.join(columns)}) values ({', '.join('?' * len(columns))})"
            f" on conflict ({', '.join(key)}) do " + (f"update set {', '.join(f'{c} = excluded.{c}' for c in rest)}"
                                                        if rest else "nothing"))


def insert_new(table: str, columns: list[str] | tuple[str, ...]) -> str:
    """Insert a row unless one with the same key is there (SQLite's `insert or ignore`)."""
    return f"insert into {table} ({', '.join(columns)}) values ({', '.join('?' * len(columns))}) on conflict do nothing"
