"""``manage.py api token create|list|revoke``: REST API tokens of a business (core.api.tokens).

``create`` prints the token once (``--json``: exactly ``{"token", "name", "scopes"}``);
only its hash is stored, so it cannot be shown again. The CLI acts as the
platform operator, who may give any scope.
"""
from __future__ import annotations

import click

from .cli import business_option, json_option, pass_context


@click.group("api")
def api():
    """The REST API at /api/v1: tokens."""


@api.group("token")
def token():
    """Bearer tokens of a business (shown once, stored hashed, revocable)."""


def _row(t) -> dict:
    return {"id": t.id, "name": t.name, "prefix": t.prefix, "scopes": list(t.scopes), "created_at": t.created_at,
            "last_used_at": t.last_used_at, "revoked_at": t.revoked_at, "active": t.active}


@token.command("create")
@click.option("--name", required=True, help="What the token is for (\"web shop\").")
@click.option("--scope", "scopes", multiple=True, required=True, metavar="SCOPE",
              help="A permission the token holds, e.g. sales.order.create (repeatable; sales.* for all of an addon).")
@business_option
@json_option
@pass_context
def token_create(cli, name, scopes):
    """Create a token and print it (once: it is stored hashed)."""
    from .api.tokens import create_token
    with cli.transaction() as session:
        made = create_token(session, cli.runtime.registry, name=name, scopes=scopes)
        result = {"token": made.token, "name": made.row.name, "scopes": list(made.row.scopes)}
    if cli.as_json:
        cli.emit(result)
    else:
        click.echo(made.token)
        click.echo(f"token {result['name']!r} with {', '.join(result['scopes'])}; it is not shown again", err=True)


@token.command("list")
@business_option
@json_option
@pass_context
def token_list(cli):
    """The business's tokens (never the secrets): name, prefix, scopes, last use, revoked."""
    from .api.tokens import list_tokens
    with cli.session() as session:
        rows = [_row(t) for t in list_tokens(session)]
    cli.emit(rows, columns=["id", "name", "prefix", "scopes", "last_used_at", "active"])


@token.command("revoke")
@click.argument("token_id", type=int)
@business_option
@json_option
@pass_context
def token_revoke(cli, token_id):
    """Revoke a token by its id; it is refused from the next request on."""
    from .api.tokens import revoke_token
    with cli.transaction() as session:
        row = _row(revoke_token(session, token_id))
    if cli.as_json:
        cli.emit(row)
    else:
        click.echo(f"token {row['id']} ({row['name']}) revoked")


COMMANDS = (api,)  # attached to the root group by core.cli_main
