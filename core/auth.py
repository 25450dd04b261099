"""Users, passwords, permissions and login throttling.

Passwords are argon2id hashes (argon2-cffi defaults, rehashed when the defaults
move). A user reaches a business through a Membership with a Role; a role holds
permission strings ``addon.object.action`` declared in manifests (plus the core's
own below), ``*`` for everything and ``addon.*`` / ``addon.object.*`` wildcards.
"""
from __future__ import annotations

import hashlib
from datetime import timedelta, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, func, select

from .errors import UserError
from .db import utcnow
from .models import Business, LoginFailure, Membership, Role, User

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
    """Failed logins per (address, e-mail) in a sliding window, counted in the database.

    The database is shared by every web process and host, so the limit holds for
    the whole deployment, not per process. Keys are hashed: the table holds no
    addresses or e-mails.
    """

    def __init__(self, limit: int, window: float = 60.0, clock=None):
        self.limit, self.window = limit, timedelta(seconds=window)
        self.clock = clock or utcnow

    @staticmethod
    def _key(ip: str, email: str) -> str:
        return hashlib.sha256(f"{ip or '-'}|{(email or '').strip().lower()}".encode()).hexdigest()

    def retry_after(self, session, ip: str, email: str) -> int:
        """Seconds until another attempt is allowed; 0 when allowed now."""
        since = self.clock() - self.window
        count, first = session.execute(
            select(func.count(), func.min(LoginFailure.at))
            .where(LoginFailure.key == self._key(ip, email), LoginFailure.at > since)).one()
        if count < self.limit:
            return 0
        first = first if first.tzinfo else first.replace(tzinfo=timezone.utc)  # SQLite drops the zone
        return max(1, int((first + self.window - self.clock()).total_seconds()) + 1)

    def failed(self, session, ip: str, email: str) -> None:
        """Record a failure in ``session`` (the caller commits, also when the login is refused)."""
        now = self.clock()
        session.add(LoginFailure(key=self._key(ip, email), at=now))
        # Rows past the window count for nothing; trimming here keeps the table small.
        session.execute(delete(LoginFailure).where(LoginFailure.at <= now - self.window))

    def succeeded(self, session, ip: str, email: str) -> None:
        session.execute(delete(LoginFailure).where(LoginFailure.key == self._key(ip, email)))
