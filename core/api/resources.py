"""The core's own resource: ``GET /api/v1/token``, who the caller is (a cheap way to test a token)."""
from __future__ import annotations

from ..i18n import _l
from ..models import Business
from .schemas import Out, Timestamp


class TokenOut(Out):
    name: str
    scopes: list[str]
    business: str
    created_at: Timestamp
    last_used_at: Timestamp | None


def register(api):
    @api.get("/token", scope=None, summary=_l("The token sending the request"), response=TokenOut)
    def get_token(ctx):
        business = ctx.session.get(Business, ctx.business_id)
        token = ctx.token
        return TokenOut(name=token.name, scopes=list(token.scopes), business=business.slug,
                        created_at=token.created_at, last_used_at=token.last_used_at)
