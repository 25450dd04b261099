"""Users, passwords, permissions, and the one place users are created and changed.

Passwords are argon2id hashes (argon2-cffi defaults, rehashed when the defaults
move). A user reaches a business through a Membership with a Role; a role holds
permission strings ``addon.object.action`` declared in manifests (plus the core's
own below), ``*`` for everything and ``addon.*`` / ``addon.object.*`` wildcards.

Who may change whom (enforced here for the admin, the CLI and any API alike):
nobody changes the password, e-mail, superuser flag or memberships of a user who
holds rights the actor does not hold (in any business the user belongs to, and a
superuser holds everything), and a role is granted or defined only by someone who
holds every permission in it. ``actor=None`` is the platform operator (the CLI
run on the server without ``--as``), who already holds the database.
"""
from __future__ import annotations

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
       "core.audit.export", "core.api_token.read", "core.api_token.create", "core.api_token.edit",
       "core.webhook.read", "core.webhook.create", "core.webhook.edit", "core.webhook.delete"])


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


def user_access(session, user: User) -> dict[int, tuple[Business, frozenset]]:
    """{business id: (business, permissions)} of every active business the user may work in, by id,
    in one query (a web request needs all three: the switcher, the current business, its rights).
    Superusers may work in every active business and hold ``*`` in each; others hold their role's."""
    if user.is_superuser:
        rows = [(b, ("*",)) for b in session.scalars(
            select(Business).where(Business.active).order_by(Business.id),
            execution_options={"all_businesses": True})]
    else:
        rows = session.execute(
            select(Business, Role.permissions).join(Membership, Membership.business_id == Business.id)
            .outerjoin(Role, Role.id == Membership.role_id)
            .where(Membership.user_id == user.id, Business.active).order_by(Business.id),
            execution_options={"all_businesses": True}).all()
    access = {}
    for business, permissions in rows:
        access.setdefault(business.id, (business, frozenset(permissions or ())))
    return access


def user_business_ids(session, user: User) -> list[int]:
    """Businesses the user may work in, ordered by id (superusers: every active one)."""
    return list(user_access(session, user))


def find_role(session, business_id: int, role: str) -> Role:
    found = session.scalar(select(Role).where(Role.business_id == business_id, Role.name == role),
                           execution_options={"all_businesses": True})
    if found is None:
        raise UserError(f"role: no role {role!r} in this business")
    return found


def _clean_email(session, email: str, problems: list, user_id: int | None = None) -> str:
    """The normalised address; problems (malformed, taken by another user) are appended."""
    email = (email or "").strip().lower()
    if "@" not in email or email.startswith("@") or email.endswith("@") or " " in email:
        problems.append(f"email: {email!r} is not an e-mail address")
    elif session.scalar(select(User.id).where(User.email == email, User.id != (user_id or 0))):
        problems.append(f"email: a user {email!r} already exists")
    return email


def _is_platform(actor) -> bool:
    return actor is None or bool(actor.is_superuser)


def check_may_grant(session, actor, business_id: int, permissions) -> None:
    """Refuse giving (or defining) a role with a permission ``actor`` does not hold in ``business_id``."""
    if _is_platform(actor):
        return
    with session.no_autoflush:  # the actor's rights before this edit (it may be of the actor's own role)
        held = role_permissions(session, actor, business_id)
    missing = [p for p in permissions or () if not grants(held, p)]
    if missing:
        raise UserError(f"role: you cannot grant permissions you do not hold yourself ({', '.join(missing)})")


def check_may_manage(session, actor, target: User) -> None:
    """Refuse changing ``target`` when it holds any right ``actor`` lacks, in any business."""
    if _is_platform(actor):
        return
    if target.is_superuser:
        raise UserError(f"user: {target.email} is a superuser; only a superuser can change them")
    rows = session.execute(
        select(Membership.business_id, Role.permissions).join(Role, Role.id == Membership.role_id)
        .where(Membership.user_id == target.id), execution_options={"all_businesses": True}).all()
    for business_id, permissions in rows:
        held = role_permissions(session, actor, business_id)
        if not all(grants(held, p) for p in permissions or ()):
            raise UserError(f"user: {target.email} holds rights you do not hold (here or in another "
                            f"business); only someone who holds them all, or a superuser, can change them")


def end_sessions(user: User) -> None:
    """Every session and remember cookie of ``user`` stops working (see ``User.get_id``)."""
    user.credential_version = (user.credential_version or 0) + 1


def create_user(session, email: str, password: str, name: str = "", business_id: int | None = None,
                role: str = "Administrator", superuser: bool = False, actor=None) -> User:
    """Create a user (and its membership in ``business_id`` with ``role``); never commits.

    An e-mail that already exists is refused rather than silently given a second
    password; add a membership to the existing user instead.
    """
    problems = []
    email = _clean_email(session, email, problems)
    try:
        check_password_strength(password)
    except UserError as exc:
        problems.append(str(exc))
    if superuser and not _is_platform(actor):
        problems.append("superuser: only a superuser can create a superuser")
    role_obj = None
    if business_id is not None:
        try:
            role_obj = find_role(session, business_id, role)
            check_may_grant(session, actor, business_id, role_obj.permissions)
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


def update_user(session, actor, user_id: int, *, email: str | None = None, password: str | None = None,
                superuser: bool | None = None, business_id: int | None = None,
                role_id: int | None = None) -> User:
    """Change a user's e-mail, password, superuser flag or role in ``business_id``; never commits.

    ``None`` leaves a field alone. A new password or a lost superuser flag ends
    the user's sessions everywhere.
    """
    user = session.get(User, user_id)
    if user is None:
        raise UserError(f"user: no user #{user_id}")
    check_may_manage(session, actor, user)
    problems = []
    if email is not None:
        email = _clean_email(session, email, problems, user_id=user.id)
    if password:
        try:
            check_password_strength(password)
        except UserError as exc:
            problems.append(str(exc))
    if superuser is not None and superuser != user.is_superuser and not _is_platform(actor):
        problems.append("superuser: only a superuser can change the superuser flag")
    role = None
    if role_id is not None:
        role = session.scalar(select(Role).where(Role.id == role_id, Role.business_id == business_id),
                              execution_options={"all_businesses": True})
        if role is None:
            problems.append("role: choose a role of this business")
        else:
            try:
                check_may_grant(session, actor, business_id, role.permissions)
            except UserError as exc:
                problems.append(str(exc))
    if problems:
        raise UserError("; ".join(problems))
    if email is not None:
        user.email = email
    if superuser is not None and superuser != user.is_superuser:
        user.is_superuser = superuser
        end_sessions(user)
    if role is not None:
        _set_membership(session, user.id, business_id, role.id)
    if password:
        user.password_hash = hash_password(password)
        end_sessions(user)
    session.flush()
    return user


def _set_membership(session, user_id: int, business_id: int, role_id: int) -> None:
    membership = session.scalar(
        select(Membership).where(Membership.user_id == user_id, Membership.business_id == business_id),
        execution_options={"all_businesses": True})
    if membership is None:
        session.add(Membership(user_id=user_id, business_id=business_id, role_id=role_id))
    else:
        membership.role_id = role_id


def remove_member(session, actor, user_id: int, business_id: int) -> None:
    """Take a user out of a business (the user itself stays); never commits."""
    if actor is not None and actor.id == user_id:
        raise UserError("user: you cannot remove yourself from the business")
    user = session.get(User, user_id)
    if user is None:
        raise UserError(f"user: no user #{user_id}")
    check_may_manage(session, actor, user)
    membership = session.scalar(
        select(Membership).where(Membership.user_id == user_id, Membership.business_id == business_id),
        execution_options={"all_businesses": True})
    if membership is not None:
        session.delete(membership)
        session.flush()


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
