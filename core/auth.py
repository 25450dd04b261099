"""Users, passwords, permissions and login throttling.

Passwords are argon2id hashes (argon2-cffi defaults, rehashed when the defaults
move). A user reaches a business through a Membership with a Role; a role holds
permission strings ``addon.object.action`` declared in manifests (plus the core's
own below), ``*`` for everything and ``addon.*`` / ``addon.object.*`` wildcards.
"""
from __future__ import annotations

import threading
import time
from collections import deque

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select

from .errors import UserError
from .models import Business, Membership, Role, User

_hasher = PasswordHasher()  # argon2id with the library's current recommended cost
MIN_PASSWORD_LENGTH = 8
ACTIONS = ("read", "create", "edit", "delete", "export")

# The core screens' permissions; addons declare theirs in addon.toml.
CORE_PERMISSIONS = tuple(
    [f"core.business.{a}" for a in ("read", "edit")]
    + [f"core.user.{a}" for a in ("read", "create", "edit", "delete")]
    + [f"core.role.{a}" for a in ("read", "create", "edit", "delete")]
    + ["core.addon.read", "core.addon.edit", "core.job.read", "core.job.edit", "core.audit.read",
       "core.audit.export"])


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches; a malformed stored hash never matches."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def check_password_strength(password: str) -> None:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"password: at least {MIN_PASSWORD_LENGTH} characters")


def all_permissions(registry) -> list[str]:
    """Every permission a role can be given: the core's, then each addon's."""
    return list(CORE_PERMISSIONS) + [p for p in registry.permissions() if p not in CORE_PERMISSIONS]


def grants(permissions, permission: str) -> bool:
    """Does a set of granted strings cover ``permission`` (exact, ``*`` or a prefix ``x.*``)?"""
    if not permissions:
        return False
    if "*" in permissions or permission in permissions:
        return True
    parts = permission.split(".")
    return any(".".join(parts[:i]) + ".*" in permissions for i in range(1, len(parts)))


def role_permissions(session, user: User, business_id: int | None) -> frozenset:
    """The permissions ``user`` holds in ``business_id`` (superusers hold ``*``)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return frozenset()
    if user.is_superuser:
        return frozenset({"*"})
    if business_id is None:
        return frozenset()
    perms = session.scalar(
        select(Role.permissions).join(Membership, Membership.role_id == Role.id)
        .where(Membership.user_id == user.id, Membership.business_id == business_id),
        execution_options={"all_businesses": True})
    return frozenset(perms or ())


def has_permission(user: User, business_id: int | None, permission: str, session=None) -> bool:
    """Check one permission; opens a short read session on the current runtime when none is given."""
    if user is not None and getattr(user, "is_superuser", False):
        return True
    if session is None:
        from .runtime import current
        with current().session(all_businesses=True) as own:
            return grants(role_permissions(own, user, business_id), permission)
    return grants(role_permissions(session, user, business_id), permission)


def user_business_ids(session, user: User) -> list[int]:
    """Businesses the user may work in, ordered by id (superusers: every active one)."""
    if user.is_superuser:
        stmt = select(Business.id).where(Business.active).order_by(Business.id)
    else:
        stmt = (select(Membership.business_id).join(Business, Business.id == Membership.business_id)
                .where(Membership.user_id == user.id, Business.active).order_by(Membership.business_id))
    return list(session.scalars(stmt, execution_options={"all_businesses": True}))


def find_role(session, business_id: int, role: str) -> Role:
    found = session.scalar(select(Role).where(Role.business_id == business_id, Role.name == role),
                           execution_options={"all_businesses": True})
    if found is None:
        raise UserError(f"role: no role {role!r} in this business")
    return found


def create_user(session, email: str, password: str, name: str = "", business_id: int | None = None,
                role: str = "Administrator", superuser: bool = False) -> User:
    """Create a user (and its membership in ``business_id`` with ``role``); never commits.

    An e-mail that already exists is refused rather than silently given a second
    password; add a membership to the existing user instead.
    """
    problems = []
    email = (email or "").strip().lower()
    if "@" not in email or email.startswith("@") or email.endswith("@") or " " in email:
        problems.append(f"email: {email!r} is not an e-mail address")
    try:
        check_password_strength(password)
    except UserError as exc:
        problems.append(str(exc))
    if email and session.scalar(select(User.id).where(User.email == email)):
        problems.append(f"email: a user {email!r} already exists")
    role_obj = None
    if business_id is not None:
        try:
            role_obj = find_role(session, business_id, role)
        except UserError as exc:
            problems.append(str(exc))
    elif not superuser:
        problems.append("business: a user who is not a superuser needs a business")
    if problems:
        raise UserError("; ".join(problems))
    user = User(email=email, name=(name or "").strip(), password_hash=hash_password(password),
                is_superuser=superuser, active=True)
    session.add(user)
    session.flush()
    if role_obj is not None:
        session.add(Membership(user_id=user.id, business_id=business_id, role_id=role_obj.id))
        session.flush()
    return user


def authenticate(session, email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None (same answer for every failure)."""
    user = session.scalar(select(User).where(User.email == (email or "").strip().lower()))
    if user is None:
        _hasher.hash("timing-equaliser")  # an unknown e-mail costs as much as a wrong password
        return None
    if not verify_password(user.password_hash, password or "") or not user.active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


class LoginThrottle:
    """Failed logins per (IP, e-mail) in a sliding minute, held in process memory.

    In-process keeps the login path free of extra writes; with several web
    processes each one counts on its own, so the effective limit is
    ``limit × processes`` per minute, still far below what guessing needs.
    """

    def __init__(self, limit: int, window: float = 60.0, clock=time.monotonic):
        self.limit, self.window, self.clock = limit, window, clock
        self._failures: dict[tuple[str, str], deque] = {}
        self._lock = threading.Lock()

    def _recent(self, key) -> deque:
        now = self.clock()
        failures = self._failures.setdefault(key, deque())
        while failures and now - failures[0] >= self.window:
            failures.popleft()
        return failures

    def retry_after(self, ip: str, email: str) -> int:
        """Seconds until another attempt is allowed; 0 when allowed now."""
        key = (ip or "-", (email or "").strip().lower())
        with self._lock:
            failures = self._recent(key)
            if len(failures) < self.limit:
                return 0
            return max(1, int(self.window - (self.clock() - failures[0])) + 1)

    def failed(self, ip: str, email: str) -> None:
        key = (ip or "-", (email or "").strip().lower())
        with self._lock:
            self._recent(key).append(self.clock())
            if len(self._failures) > 100_000:  # bound memory under a spray of e-mails
                self._failures = {k: v for k, v in self._failures.items() if v}

    def succeeded(self, ip: str, email: str) -> None:
        with self._lock:
            self._failures.pop((ip or "-", (email or "").strip().lower()), None)
