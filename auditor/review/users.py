"""People and roles: Argon2id password hashes, sessions, and logins that slow down and lock."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from auditor.errors import AuditorError
from auditor.store import Store

ROLES = ("reviewer", "lead", "admin")  # each may do what the ones before it may
LOCK_AFTER = 10  # failed logins in a row
LOCK_FOR = timedelta(minutes=15)
SESSION_FOR = timedelta(hours=12)
MIN_PASSWORD = 10

_hasher = PasswordHasher()  # Argon2id, the library's current parameters


class LoginError(AuditorError):
    """Wrong name or password, a disabled or locked account: said the same way to the client."""


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: str
    media: str = "blurred"  # blurred | grey | clear
    language: str | None = None

    def can(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)


def _user(row: dict) -> User:
    return User(row["id"], row["name"], row["role"], row.get("media") or "blurred", row.get("language"))


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AuditorError(f"a password needs at least {MIN_PASSWORD} characters")


def add_user(store: Store, name: str, role: str, password: str, now: datetime) -> User:
    if role not in ROLES:
        raise AuditorError(f"unknown role {role!r} (known: {', '.join(ROLES)})")
    if not name or not name.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise AuditorError(f"user name {name!r}: letters, digits, '-', '_' and '.' only")
    if store.user_named(name):
        raise AuditorError(f"user {name!r} exists already")
    _check_password(password)
    return _user(store.user(store.add_user(name, role, _hasher.hash(password), now)))


def set_password(store: Store, name: str, password: str) -> None:
    row = _named(store, name)
    _check_password(password)
    store.update_user(row["id"], password_hash=_hasher.hash(password), failed_logins=0, locked_until=None)
    store.end_sessions(user_id=row["id"])


def disable(store: Store, name: str, by: str | None = None) -> None:
    """Stop someone signing in (their sessions end; their decisions stay). Nobody disables themself, so an
    admin can never lock the team out with one click."""
    row = _named(store, name)
    if by is not None and by == row["name"]:
        raise AuditorError("you cannot disable yourself: ask another admin")
    store.update_user(row["id"], disabled=1)
    store.end_sessions(user_id=row["id"])


def enable(store: Store, name: str) -> None:
    """Let a disabled person sign in again (with the password they had; `users passwd` sets a new one)."""
    row = _named(store, name)
    store.update_user(row["id"], disabled=0, failed_logins=0, locked_until=None)


def _named(store: Store, name: str) -> dict:
    row = store.user_named(name)
    if row is None:
        raise AuditorError(f"no user {name!r} (see `auditor users list`)")
    return row


def login(store: Store, name: str, password: str, now: datetime) -> User:
    """The user, if the password is right and the account neither disabled nor locked.

    Ten failed logins in a row lock the account for 15 minutes (the right password is refused too)."""
    row = store.user_named(name)
    if row is None:
        _hasher.hash(password)  # the same work as a real check: no timing tells names apart
        raise LoginError("wrong name or password")
    if row["locked_until"] and datetime.fromisoformat(row["locked_until"]) > now:
        raise LoginError("this account is locked for a while after too many failed logins")
    try:
        _hasher.verify(row["password_hash"], password)
    except (VerificationError, InvalidHashError):
        failed = (row["failed_logins"] or 0) + 1
        locked = (now + LOCK_FOR).isoformat() if failed >= LOCK_AFTER else None
        store.update_user(row["id"], failed_logins=failed, locked_until=locked)
        raise LoginError("wrong name or password" if not locked else
                         "this account is locked for a while after too many failed logins") from None
    if row["disabled"]:
        raise LoginError("wrong name or password")
    store.update_user(row["id"], failed_logins=0, locked_until=None)
    return _user(row)


def failed_logins(store: Store, name: str) -> int:
    row = store.user_named(name)
    return (row["failed_logins"] or 0) if row else 0


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(store: Store, user: User, now: datetime) -> tuple[str, str]:
    """A new session: (the cookie's token, its CSRF token). Only the token's hash is stored."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    store.start_session(token_hash(token), user.id, csrf, now, now + SESSION_FOR)
    return token, csrf


def session_user(store: Store, token: str | None, now: datetime) -> tuple[User, str] | None:
    """The signed-in user and the session's CSRF token, or None."""
    if not token:
        return None
    row = store.session(token_hash(token), now)
    return (_user(row), row["csrf"]) if row else None
