"""Administration commands: ``business``, ``user`` and ``jobs``. Thin callers of core services."""
from __future__ import annotations

import sys

import click

from .cli import CliError, business_option, emit, json_option, pass_context


# ---------------------------------------------------------------- business

@click.group()
def business():
    """Businesses (tenants)."""


def _business_row(b) -> dict:
    return {"id": b.id, "slug": b.slug, "name": b.name, "country": b.country, "currency": b.currency,
            "timezone": b.timezone, "languages": list(b.languages or []), "tax_id": b.tax_id, "active": b.active}


@business.command("create")
@click.option("--name", required=True)
@click.option("--slug", required=True, help="Short unique id used on the command line and in URLs.")
@click.option("--country", required=True, help="ISO 3166 two-letter code, e.g. VN, KR, MX, DE.")
@click.option("--currency", default=None, help="ISO 4217 code (default: the country's).")
@click.option("--timezone", default="UTC", show_default=True)
@click.option("--language", "languages", multiple=True, help="Document language (repeatable; default en).")
@click.option("--tax-id", default=None)
@click.option("--addon", "addon_names", multiple=True, help="Addon to enable at once (repeatable).")
@json_option
@pass_context
def business_create(cli_ctx, name, slug, country, currency, timezone, languages, tax_id, addon_names):
    """Create a business with its Administrator role."""
    from .addons import state
    from .business import create_business
    runtime = cli_ctx.runtime
    for addon in addon_names:
        runtime.registry[addon]  # unknown names fail before anything is written
    enabled = []
    with runtime.transaction(all_businesses=True) as session:
        created = create_business(session, name=name, slug=slug, country=country, currency=currency,
                                  timezone=timezone, languages=languages or ("en",), tax_id=tax_id)
        if addon_names:
            # Same transaction, now bound to the new business: a failing on_enable leaves no business behind.
            session.info.update(business_id=created.id, all_businesses=False)
            enabled = state.enable(session, runtime.registry, created.id, list(addon_names))
    row = _business_row(created) | {"enabled": enabled}
    if cli_ctx.as_json:
        emit(row, True)
    else:
        click.echo(f"created business {created.slug} (#{created.id}, {created.country}, {created.currency})"
                   + (f"; enabled {', '.join(enabled)}" if enabled else ""))


@business.command("list")
@json_option
@pass_context
def business_list(cli_ctx):
    """Every business."""
    from sqlalchemy import select
    from .models import Business
    with cli_ctx.light_runtime().session(all_businesses=True) as session:
        rows = [_business_row(b) for b in session.scalars(select(Business).order_by(Business.id))]
    emit(rows, cli_ctx.as_json, ["id", "slug", "name", "country", "currency", "active"])


# ---------------------------------------------------------------- user

@click.group()
def user():
    """Back-office users."""


def _read_password(prompt_twice: bool = True) -> str:
    """From stdin when piped (scripts), else an interactive prompt with confirmation."""
    if not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise CliError("no password on stdin")
        return password
    return click.prompt("Password", hide_input=True, confirmation_prompt=prompt_twice)


acting_option = click.option(
    "--as", "acting_as", default=None, metavar="EMAIL",
    help="Act with this user's rights (a delegated operator); by default the command runs as the platform.")


def _find_user(session, email: str):
    from sqlalchemy import select
    from .models import User
    found = session.scalar(select(User).where(User.email == (email or "").strip().lower()))
    if found is None:
        raise CliError(f"no user {email!r}")
    return found


@user.command("create")
@click.argument("email")
@click.option("--name", default="")
@click.option("--role", default="Administrator", show_default=True, help="Role in the business.")
@click.option("--superuser", is_flag=True, help="May act in every business.")
@acting_option
@business_option
@json_option
@pass_context
def user_create(cli_ctx, email, name, role, superuser, acting_as):
    """Create a user; the password is read from stdin or prompted for."""
    from .auth import create_user
    runtime = cli_ctx.light_runtime()
    business_id = cli_ctx.business.id if cli_ctx.business_slug else None
    password = _read_password()
    with runtime.transaction(all_businesses=True) as session:
        actor = _find_user(session, acting_as) if acting_as else None
        created = create_user(session, email, password, name=name, business_id=business_id, role=role,
                              superuser=superuser, actor=actor)
    data = {"id": created.id, "email": created.email, "superuser": created.is_superuser,
            "business": cli_ctx.business_slug, "role": role if business_id else None}
    if cli_ctx.as_json:
        emit(data, True)
    else:
        click.echo(f"created user {created.email} (#{created.id})"
                   + (f", {role} of {cli_ctx.business_slug}" if business_id else "")
                   + (", superuser" if superuser else ""))


@user.command("password")
@click.argument("email")
@acting_option
@pass_context
def user_password(cli_ctx, email, acting_as):
    """Set a user's password (read from stdin or prompted for); ends the user's sessions."""
    from .auth import update_user
    password = _read_password()
    with cli_ctx.light_runtime().transaction(all_businesses=True) as session:
        actor = _find_user(session, acting_as) if acting_as else None
        found = update_user(session, actor, _find_user(session, email).id, password=password)
    click.echo(f"password changed for {found.email}; their sessions have ended")


@user.command("list")
@business_option
@json_option
@pass_context
def user_list(cli_ctx):
    """Users (of --business, or all)."""
    from sqlalchemy import select
    from .models import Membership, Role, User
    with cli_ctx.light_runtime().session(all_businesses=True) as session:
        query = select(User).order_by(User.id)
        if cli_ctx.business_slug:
            query = query.join(Membership, Membership.user_id == User.id).where(
                Membership.business_id == cli_ctx.business.id)
        users = list(session.scalars(query))
        roles = {}
        if cli_ctx.business_slug:
            roles = dict(session.execute(select(Membership.user_id, Role.name).join(Role, Role.id == Membership.role_id)
                                         .where(Membership.business_id == cli_ctx.business.id)).all())
        rows = [{"id": u.id, "email": u.email, "name": u.name, "active": u.active, "superuser": u.is_superuser,
                 "role": roles.get(u.id)} for u in users]
    emit(rows, cli_ctx.as_json, ["id", "email", "name", "active", "superuser"] +
         (["role"] if cli_ctx.business_slug else []))


# ---------------------------------------------------------------- jobs

@click.group()
def jobs():
    """Background jobs (the outbox)."""


def _job_row(job) -> dict:
    return {"id": job.id, "actor": job.actor, "business_id": job.business_id, "state": job.state,
            "attempts": job.attempts, "max_attempts": job.max_attempts, "available_at": job.available_at,
            "finished_at": job.finished_at, "last_error": job.last_error, "args": job.args}


def _jobs_session(cli_ctx):
    runtime = cli_ctx.light_runtime()
    if cli_ctx.business_slug:
        return runtime.session(cli_ctx.business.id)
    return runtime.session(all_businesses=True)


@jobs.command("list")
@click.option("--state", default=None, help="pending, running, done, failed, dead or skipped.")
@click.option("--limit", default=50, show_default=True, type=int)
@business_option
@json_option
@pass_context
def jobs_list(cli_ctx, state, limit):
    """Newest jobs first (of --business, or of every business)."""
    from .jobs import list_jobs
    with _jobs_session(cli_ctx) as session:
        rows = [_job_row(job) for job in list_jobs(session, state=state, limit=limit)]
    emit(rows, cli_ctx.as_json, ["id", "actor", "business_id", "state", "attempts", "available_at", "last_error"])


@jobs.command("retry")
@click.argument("job_id", type=int)
@business_option
@json_option
@pass_context
def jobs_retry(cli_ctx, job_id):
    """Give a failed, dead or skipped job a fresh retry budget."""
    from .jobs import retry_job
    runtime = cli_ctx.runtime  # loaded: the relay after commit needs the actors
    business_id = cli_ctx.business.id if cli_ctx.business_slug else None
    if business_id is None:
        with runtime.transaction(all_businesses=True) as session:
            job = retry_job(session, job_id)
    else:
        with runtime.transaction(business_id) as session:
            job = retry_job(session, job_id)
    if cli_ctx.as_json:
        emit(_job_row(job), True)
    else:
        click.echo(f"job #{job.id} ({job.actor}) is pending again")


COMMANDS = (business, user, jobs)  # attached to the root group by core.cli_main
