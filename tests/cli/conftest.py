"""CLI fixtures: a CliRunner wired to a database, and fresh migrated databases.

Commands build their runtime from TESSERA_* variables, so every invocation gets
an explicit environment (database, addon path, no entry points) rather than
whatever the developer's shell holds.
"""
from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import FIXTURE_ADDONS, GOOD_ADDONS, fresh_database_url

PROJECT = Path(__file__).resolve().parents[2]
CLI_ADDONS = FIXTURE_ADDONS / "cli"


def cli_env(database_url: str, addons_path=(GOOD_ADDONS, CLI_ADDONS), instance=None) -> dict:
    env = {key: None for key in os.environ if key.startswith("TESSERA_") and not key.startswith("TESSERA_TEST_")}
    env.update({
        "TESSERA_ENV": "test",
        "TESSERA_DATABASE_URL": database_url,
        "TESSERA_ADDONS_PATH": os.pathsep.join(str(p) for p in addons_path),
        "TESSERA_DISABLE_ENTRY_POINTS": "1",
        "TESSERA_SECRET_KEY": "test-secret-key",
        "TESSERA_BROKER_URL": "stub://",
    })
    if instance:
        env["TESSERA_INSTANCE_PATH"] = str(instance)
    return env


class Cli:
    """Invoke ``manage.py`` in-process: ``cli("business", "list", "--json")``."""

    def __init__(self, env):
        self.env = env

    def __call__(self, *args, input=None, ok=True):
        import dramatiq
        from core import runtime as runtime_module
        from core.cli_main import cli
        # A command builds its own runtime, which becomes the process's current one and
        # sets dramatiq's global broker; put the test session's back afterwards.
        saved_runtime, saved_broker = runtime_module._current, dramatiq.get_broker()
        try:
            result = CliRunner().invoke(cli, [str(a) for a in args], input=input, env=self.env,
                                        catch_exceptions=False)
        finally:
            runtime_module.set_current(saved_runtime)
            dramatiq.set_broker(saved_broker)
        if ok and result.exit_code != 0:
            raise AssertionError(f"manage.py {' '.join(map(str, args))} exited {result.exit_code}:\n"
                                 f"{result.output}")
        return result

    def json(self, *args, **kw):
        return json.loads(self(*args, "--json", **kw).stdout)

    def fails(self, *args, input=None) -> str:
        """Run a command that must fail with ONE line ``error: ...``; return that line."""
        result = self(*args, input=input, ok=False)
        assert result.exit_code != 0, result.output
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: "), result.output
        assert "Traceback" not in result.output
        return lines[0]


def run_manage(*args, env, input=None, timeout=120):
    """A real subprocess: ``python manage.py ...`` with ``env`` on top of os.environ."""
    full = {k: v for k, v in os.environ.items() if not (k.startswith("TESSERA_") and not k.startswith("TESSERA_TEST_"))}
    full.update({k: v for k, v in env.items() if v is not None})
    return subprocess.run([sys.executable, str(PROJECT / "manage.py"), *map(str, args)], env=full, input=input,
                          capture_output=True, text=True, timeout=timeout, cwd=PROJECT)


@pytest.fixture(scope="module")
def cli_db(tmp_path_factory):
    """A fresh database migrated with built-in, good fixture and CLI fixture addons."""
    from core.addons.migrate import install_all
    from core.runtime import build_runtime
    url = fresh_database_url(tmp_path_factory, "cli")
    instance = tmp_path_factory.mktemp("cli-instance")
    rt = build_runtime({"ENV": "test", "DATABASE_URL": url, "INSTANCE_PATH": str(instance),
                        "ADDONS_PATH": [str(GOOD_ADDONS), str(CLI_ADDONS)], "SECRET_KEY": "test-secret-key",
                        "BROKER_URL": "stub://", "DISABLE_ENTRY_POINTS": True}, make_current=False)
    install_all(rt)
    yield rt
    rt.db.dispose()


@pytest.fixture(scope="module")
def cli(cli_db, tmp_path_factory):
    return Cli(cli_env(cli_db.db.url, instance=tmp_path_factory.mktemp("cli-env-instance")))


_slugs = itertools.count(1)


@pytest.fixture
def slug():
    """A unique business slug per test."""
    return f"cli{next(_slugs)}-{os.getpid()}"
