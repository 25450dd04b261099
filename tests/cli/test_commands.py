"""Every core command through click's runner: output, --json shapes, one-line errors."""
from __future__ import annotations

import json

import pytest

PASSWORD = "Correct-Horse-Battery-9"


def make_business(cli, slug, *extra):
    return cli.json("business", "create", "--name", f"Shop {slug}", "--slug", slug, "--country", "VN", *extra)


def test_help_lists_core_and_addon_commands(cli):
    out = cli("--help").output
    for name in ("run", "web", "worker", "scheduler", "migrate", "addons", "business", "user", "jobs", "demo",
                 "tcli_tools"):
        assert f"  {name} " in out or f"  {name}\n" in out


def test_business_create_and_list(cli, slug):
    created = make_business(cli, slug, "--timezone", "Asia/Ho_Chi_Minh", "--language", "en", "--language", "vi")
    assert created["slug"] == slug and created["currency"] == "VND" and created["languages"] == ["en", "vi"]
    listed = cli.json("business", "list")
    row = next(b for b in listed if b["slug"] == slug)
    assert set(row) >= {"id", "slug", "name", "country", "currency", "timezone", "languages", "active"}
    assert slug in cli("business", "list").output


def test_business_create_refuses_bad_input_in_one_line(cli, slug):
    line = cli.fails("business", "create", "--name", "X", "--slug", slug, "--country", "XX")
    assert "country" in line
    assert all(b["slug"] != slug for b in cli.json("business", "list"))
    make_business(cli, slug)
    assert "taken" in cli.fails("business", "create", "--name", "Y", "--slug", slug, "--country", "VN")


def test_business_create_can_enable_addons(cli, slug):
    created = make_business(cli, slug, "--addon", "tfx_jobs")
    assert created["enabled"] == ["tfx_jobs_base", "tfx_jobs"]


def test_user_create_reads_password_from_stdin(cli, slug):
    make_business(cli, slug)
    email = f"clerk@{slug}.example"
    data = cli.json("user", "create", email, "--business", slug, "--name", "Clerk", input=PASSWORD + "\n")
    assert data["email"] == email and data["role"] == "Administrator" and data["superuser"] is False
    users = cli.json("user", "list", "--business", slug)
    assert [u["email"] for u in users] == [email] and users[0]["role"] == "Administrator"
    assert "already exists" in cli.fails("user", "create", email, "--business", slug, input=PASSWORD + "\n")
    assert "no role" in cli.fails("user", "create", f"x@{slug}.example", "--business", slug, "--role", "Nope",
                                  input=PASSWORD + "\n")


def test_user_password_changes_the_hash(cli, cli_db, slug):
    from sqlalchemy import select
    from core.auth import verify_password
    from core.models import User
    make_business(cli, slug)
    email = f"owner@{slug}.example"
    cli("user", "create", email, "--business", slug, input=PASSWORD + "\n")
    cli("user", "password", email, input="Another-Long-Pass-42\n")
    with cli_db.session(all_businesses=True) as session:
        user = session.scalar(select(User).where(User.email == email))
        assert verify_password(user.password_hash, "Another-Long-Pass-42")
    assert "no user" in cli.fails("user", "password", "ghost@example.com", input="Another-Long-Pass-42\n")


def test_addons_list_info_enable_disable(cli, slug):
    make_business(cli, slug)
    rows = cli.json("addons", "list", "--business", slug)
    names = [r["name"] for r in rows]
    assert {"tfx_jobs", "tfx_jobs_base", "tfx_notes", "tcli_tools"} <= set(names)
    assert names.index("tfx_jobs_base") < names.index("tfx_jobs")  # load order
    for row in rows:
        assert set(row) == {"name", "version", "summary", "depends", "optional_depends", "auto_install",
                            "installed", "enabled", "path"}
        assert row["enabled"] is False and row["installed"] == row["version"]

    info = cli.json("addons", "info", "tfx_jobs")
    assert info["depends"] == ["tfx_jobs_base"] and info["schedules"][0]["job"] == "tick"
    assert cli.json("addons", "info", "tfx_jobs_base")["dependents"] == ["tfx_jobs"]

    out = cli("addons", "enable", "tfx_jobs", "--business", slug).output
    assert "tfx_jobs_base, tfx_jobs" in out
    enabled = {r["name"] for r in cli.json("addons", "list", "--business", slug) if r["enabled"]}
    assert enabled == {"tfx_jobs_base", "tfx_jobs"}

    line = cli.fails("addons", "disable", "tfx_jobs_base", "--business", slug)
    assert "depend on it (tfx_jobs)" in line and "--with-dependents" in line
    assert cli.json("addons", "disable", "tfx_jobs_base", "--business", slug,
                    "--with-dependents")["disabled"] == ["tfx_jobs", "tfx_jobs_base"]
    assert not any(r["enabled"] for r in cli.json("addons", "list", "--business", slug))


def test_addons_errors_are_one_line(cli, slug):
    assert "not an addon here" in cli.fails("addons", "info", "nope")
    assert "needs --business" in cli.fails("addons", "enable", "tfx_notes")
    assert "no business with slug" in cli.fails("addons", "enable", "tfx_notes", "--business", "no-such-shop")
    make_business(cli, slug)
    assert "not enabled" in cli.fails("addons", "disable", "tfx_notes", "--business", slug)


def test_addon_group_mounts_and_refuses_where_disabled(cli, slug):
    make_business(cli, slug)
    line = cli.fails("tcli_tools", "whoami", "--business", slug)
    assert f"addons enable tcli_tools --business {slug}" in line
    cli("addons", "enable", "tcli_tools", "--business", slug)
    data = cli.json("tcli_tools", "whoami", "--business", slug)
    assert data["business"] == slug and data["addons"] >= 4
    # the root --business option works for addon commands too
    assert json.loads(cli("--business", slug, "tcli_tools", "whoami", "--json").stdout)["business"] == slug
    assert cli.fails("tcli_tools", "fail", "because", "--business", slug) == "error: refused: because"


def test_jobs_list_and_retry(cli, cli_db, slug):
    from sqlalchemy import select
    from core.models import OutboxJob
    business = make_business(cli, slug)
    with cli_db.transaction(business["id"]) as session:
        job = OutboxJob(business_id=business["id"], actor="tfx_jobs.record", args={"value": 1}, state="dead",
                        attempts=5, last_error="boom")
        session.add(job)
    rows = cli.json("jobs", "list", "--business", slug)
    assert [r["id"] for r in rows] == [job.id] and rows[0]["state"] == "dead"
    assert set(rows[0]) >= {"id", "actor", "business_id", "state", "attempts", "available_at", "last_error"}
    assert cli.json("jobs", "list", "--business", slug, "--state", "pending") == []
    assert "unknown job state" in cli.fails("jobs", "list", "--state", "bogus")
    retried = cli.json("jobs", "retry", str(job.id), "--business", slug)
    assert retried["state"] == "pending" and retried["attempts"] == 0
    with cli_db.session(all_businesses=True) as session:
        assert session.scalar(select(OutboxJob.state).where(OutboxJob.id == job.id)) in ("pending", "done",
                                                                                         "running")
    assert "no job #999999999" in cli.fails("jobs", "retry", "999999999", "--business", slug)


def test_migrate_on_an_up_to_date_database(cli):
    assert cli.json("migrate") == {"applied": []}
    assert "up to date" in cli("migrate").output


def test_bad_configuration_is_one_line(cli):
    line = cli.fails("--database-url", "mysql://nope/db", "business", "list")
    assert "TESSERA_DATABASE_URL" in line


def test_unreachable_database_is_one_line(cli, tmp_path):
    line = cli.fails("--database-url", f"sqlite:///{tmp_path}/missing/dir/x.db", "business", "list")
    assert line.startswith("error: database:") and "migrate" in line


def test_scheduler_once_fires_due_schedules(cli, cli_db, slug):
    from datetime import timedelta
    from sqlalchemy import update
    from core.db import utcnow
    from core.models import BusinessAddon
    business = make_business(cli, slug, "--addon", "tfx_jobs")  # tfx_jobs has an every-minute schedule
    with cli_db.transaction(all_businesses=True) as session:  # enabled before the last tick
        session.execute(update(BusinessAddon).where(BusinessAddon.business_id == business["id"])
                        .values(changed_at=utcnow() - timedelta(minutes=3)))
    out = cli("scheduler", "--once").output
    fired = int(out.split()[1])
    assert out.startswith("fired ") and fired >= 1
    jobs = cli.json("jobs", "list", "--business", slug)
    assert any(job["actor"] == "tfx_jobs.tick" for job in jobs)


def test_usage_errors_are_one_line(cli):
    line = cli.fails("jobs", "list", "--limit", "many")
    assert "'many' is not a valid integer" in line and "manage.py jobs list --help" in line
    assert "No such command" in cli.fails("nonsense")
    assert "No such option" in cli.fails("--bogus", "business", "list")
    assert "Missing option" in cli.fails("business", "create", "--name", "x")


def test_business_create_with_a_bad_addon_writes_nothing(cli, slug):
    assert "not an addon here" in cli.fails("business", "create", "--name", "Half", "--slug", slug,
                                            "--country", "KR", "--addon", "no_such_addon")
    assert all(b["slug"] != slug for b in cli.json("business", "list"))
