"""The CLI's user commands follow the same who-may-change-whom rule as the admin (core.auth)."""
from __future__ import annotations

from sqlalchemy import select

from core.auth import verify_password
from core.models import User

PASSWORD = "correct horse battery"


def test_user_commands_acting_as_an_administrator_cannot_touch_the_superuser(cli, cli_db, slug):
    cli("business", "create", "--name", f"Shop {slug}", "--slug", slug, "--country", "VN")
    root, admin, clerk = (f"{who}@{slug}.example" for who in ("root", "admin", "clerk"))
    cli("user", "create", root, "--business", slug, "--superuser", input=PASSWORD + "\n")
    cli("user", "create", admin, "--business", slug, input=PASSWORD + "\n")

    assert "is a superuser" in cli.fails("user", "password", root, "--as", admin, input="Taken-Over-Pass-1\n")
    assert "only a superuser can create a superuser" in cli.fails(
        "user", "create", f"root2@{slug}.example", "--superuser", "--business", slug, "--as", admin,
        input=PASSWORD + "\n")
    assert "no user" in cli.fails("user", "password", root, "--as", "ghost@example.com", input=PASSWORD + "\n")
    with cli_db.session(all_businesses=True) as session:
        stored = session.scalar(select(User).where(User.email == root))
        assert verify_password(stored.password_hash, PASSWORD)
        assert session.scalar(select(User).where(User.email == f"root2@{slug}.example")) is None

    # Within their rights the same commands work: a clerk of their business, then the clerk's password.
    cli("user", "create", clerk, "--business", slug, "--as", admin, input=PASSWORD + "\n")
    assert "sessions have ended" in cli("user", "password", clerk, "--as", admin, input="Clerk-New-Pass-1\n").output
    with cli_db.session(all_businesses=True) as session:
        stored = session.scalar(select(User).where(User.email == clerk))
        assert verify_password(stored.password_hash, "Clerk-New-Pass-1") and stored.credential_version == 1
