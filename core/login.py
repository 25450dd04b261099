"""Logging in: the throttle, the audit trail of every attempt, and the one login flow.

The throttle counts failures in the database (shared by every web process and
host) under two keys: the client address across all accounts (so spraying one
password over many accounts is limited) and the account across all addresses.
Past a key's limit each further attempt must wait a delay that doubles per
failure up to a ceiling, measured from the last failure. There is no fixed lock:
attempts refused while waiting are not counted, failures expire after the
window, and a successful login forgets the account's failures, so nobody can
hold a real user out for good with a few wrong passwords.
"""
from __future__ import annotations

import hashlib
import math
from datetime import timedelta, timezone

from sqlalchemy import delete, func, select

from .auth import authenticate
from .db import utcnow
from .models import AuditEntry, LoginFailure

LOGIN_MODEL = "core_login"  # audit entries of login attempts use this model name


class LoginThrottle:
    """Growing delays after ``account_limit`` failures per account or ``address_limit`` per address."""

    def __init__(self, account_limit: int = 5, address_limit: int = 20, window: float = 3600.0,
                 base_delay: float = 5.0, max_delay: float = 900.0, clock=None):
        self.limits = {"account": account_limit, "address": address_limit}
        self.window = timedelta(seconds=window)
        self.base_delay, self.max_delay = base_delay, max_delay
        self.clock = clock or utcnow

    @staticmethod
    def _key(kind: str, value: str) -> str:
        """Hashed, so the table holds no addresses or e-mails."""
        return hashlib.sha256(f"{kind}|{(value or '-').strip().lower()}".encode()).hexdigest()

    def _keys(self, ip: str, email: str) -> dict[str, str]:
        return {"account": self._key("account", email), "address": self._key("address", ip)}

    def delay_after(self, failures: int, limit: int) -> float:
        """Seconds a key must rest after its latest failure, given its failures in the window."""
        if failures < limit:
            return 0.0
        return min(self.base_delay * 2 ** (failures - limit), self.max_delay)

    def retry_after(self, session, ip: str, email: str) -> int:
        """Whole seconds until another attempt is allowed; 0 when allowed now."""
        now = self.clock()
        wait = 0.0
        for kind, key in self._keys(ip, email).items():
            count, last = session.execute(
                select(func.count(), func.max(LoginFailure.at))
                .where(LoginFailure.key == key, LoginFailure.at > now - self.window)).one()
            delay = self.delay_after(count, self.limits[kind])
            if delay:
                last = last if last.tzinfo else last.replace(tzinfo=timezone.utc)  # SQLite drops the zone
                wait = max(wait, (last + timedelta(seconds=delay) - now).total_seconds())
        return math.ceil(wait) if wait > 0 else 0

    def failed(self, session, ip: str, email: str) -> None:
        """Record a failure in ``session`` (the caller commits, also when the login is refused)."""
        now = self.clock()
        session.add_all([LoginFailure(key=key, at=now) for key in self._keys(ip, email).values()])
        # Rows past the window count for nothing; trimming here keeps the table small.
        session.execute(delete(LoginFailure).where(LoginFailure.at <= now - self.window))

    def succeeded(self, session, ip: str, email: str) -> None:
        """Forget the account's failures (not the address's: one good account must not reset a spray)."""
        session.execute(delete(LoginFailure).where(LoginFailure.key == self._key("account", email)))


def audit_login(session, action: str, email: str, address: str, user_agent: str, user_id=None,
                business_id=None) -> None:
    """One append-only audit entry per login attempt or logout (account, address, agent, when)."""
    session.add(AuditEntry(business_id=business_id, user_id=user_id, model=LOGIN_MODEL,
                           record_id=str(user_id) if user_id else "-", action=action, before=None,
                           after={"email": (email or "").strip().lower()[:200], "address": address,
                                  "user_agent": (user_agent or "")[:300]},
                           at=utcnow()))


def attempt_login(session, throttle: LoginThrottle, email: str, password: str, address: str,
                  user_agent: str):
    """Check a login and record it; never commits. Returns ``(user or None, seconds to wait)``.

    A throttled attempt is refused before the password is looked at, and is
    audited but not counted (so waiting out the delay always works).
    """
    wait = throttle.retry_after(session, address, email)
    if wait:
        audit_login(session, "login_throttled", email, address, user_agent)
        return None, wait
    user = authenticate(session, email, password)
    if user is None:
        throttle.failed(session, address, email)
        audit_login(session, "login_failed", email, address, user_agent)
        return None, 0
    throttle.succeeded(session, address, email)
    audit_login(session, "login", email, address, user_agent, user_id=user.id)
    return user, 0
