"""People and roles: Argon2id password hashes, a password policy, sessions, and sign-ins that slow a place down.

Every attempt is counted for its (name, client address) before the password is checked, in one transaction:
guesses sent at once are each counted. After LOCK_AFTER failures that place waits LOCK_FOR (the right
password is refused too), while the person signing in from elsewhere is not locked out. Every failure (an
unknown name, a wrong password, a disabled account, a place that must wait) gets the same answer after the
same work (one Argon2 operation), so names cannot be told apart. `auditor users unlock NAME` lets every
place try again at once."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from auditor.errors import AuditorError
from auditor.i18n import tr
from auditor.store import Store

ROLES = ("reviewer", "lead", "admin")  # each may do what the ones before it may
LOCK_AFTER = 10  # failed logins in a row
LOCK_FOR = timedelta(minutes=15)
SESSION_FOR = timedelta(hours=12)
MIN_PASSWORD = 10

_hasher = PasswordHasher()  # Argon2id, the library's current parameters


class LoginError(AuditorError):
    """Wrong name or password, a disabled account, a place that must wait: said the same way to the client."""


REFUSED = f"wrong name or password (after {LOCK_AFTER} failed attempts, sign-in from the same place waits " \
          f"{LOCK_FOR.seconds // 60} minutes)"
_DUMMY = _hasher.hash("auditor: the same work for a name nobody has")


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


def _check_password(password: str, name: str) -> None:
    """At least MIN_PASSWORD characters, and not easy to guess (zxcvbn: common passwords, repeats, keyboard
    patterns, dates, and the user's own name all count against it)."""
    if len(password) < MIN_PASSWORD:
        raise AuditorError(tr("a password needs at least {MIN_PASSWORD} characters", MIN_PASSWORD=MIN_PASSWORD))
    from zxcvbn import zxcvbn

    judged = zxcvbn(password[:200], user_inputs=[name, "auditor"])
    if judged["score"] < 3:
        why = judged["feedback"].get("warning") or "it is close to common passwords or to the user's name"
        raise AuditorError(tr("this password is too easy to guess: {value}. A few unrelated words, or a password "
                              "manager's, are both fine", value=why.rstrip('.')))


def add_user(store: Store, name: str, role: str, password: str, now: datetime) -> User:
    if role not in ROLES:
        raise AuditorError(tr("unknown role {role!r} (known: {value})", role=role, value=', '.join(ROLES)))
    if not name or not name.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise AuditorError(tr("user name {name!r}: letters, digits, '-', '_' and '.' only", name=name))
    if store.user_named(name):
        raise AuditorError(tr("user {name!r} exists already", name=name))
    _check_password(password, name)
    return _user(store.user(store.add_user(name, role, _hasher.hash(password), now)))


def set_password(store: Store, name: str, password: str) -> None:
    row = _named(store, name)
    _check_password(password, name)
    store.update_user(row["id"], password_hash=_hasher.hash(password), failed_logins=0, locked_until=None)
    store.unlock_logins(name)
    store.end_sessions(user_id=row["id"])


def disable(store: Store, name: str, by: str | None = None) -> None:
    """Stop someone signing in (their sessions end; their decisions stay). Nobody disables themself, so an
    admin can never lock the team out with one click."""
    row = _named(store, name)
    if by is not None and by == row["name"]:
        raise AuditorError(tr("you cannot disable yourself: ask another admin"))
    store.update_user(row["id"], disabled=1)
    store.end_sessions(user_id=row["id"])


def enable(store: Store, name: str) -> None:
    """Let a disabled person sign in again (with the password they had; `users passwd` sets a new one)."""
    row = _named(store, name)
    store.update_user(row["id"], disabled=0, failed_logins=0, locked_until=None)
    store.unlock_logins(name)


def _named(store: Store, name: str) -> dict:
    row = store.user_named(name)
    if row is None:
        raise AuditorError(tr("no user {name!r} (see `auditor users list`)", name=name))
    return row


def login(store: Store, name: str, password: str, now: datetime, address: str = "") -> User:
    """The user, if the password is right, the account enabled, and this place (`address`, the client's) is
    not waiting after LOCK_AFTER failures. Every failure is the same LoginError after the same work."""
    name, address = name[:200], address[:100]
    allowed = store.count_login_attempt(name, address, now, LOCK_AFTER)
    row = store.user_named(name) if allowed else None
    try:
        _hasher.verify(row["password_hash"] if row else _DUMMY, password)
        right = row is not None and not row["disabled"]
    except (VerificationError, InvalidHashError):
        right = False
    if not right:
        if allowed:
            store.login_failed(name, address, now, LOCK_AFTER, LOCK_FOR)
        raise LoginError(REFUSED)
    store.login_succeeded(name, address)
    return _user(row)


def unlock(store: Store, name: str) -> int:
    """`auditor users unlock`: every place may try this name again now; how many places were waiting."""
    store.update_user(_named(store, name)["id"], failed_logins=0, locked_until=None)
    return store.unlock_logins(name)


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
