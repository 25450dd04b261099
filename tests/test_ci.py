"""CI runs the whole suite on both backends, and a missing standards folder is a failure, never a skip."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CI = ROOT / ".ci" / "run"


def test_ci_refuses_to_run_without_the_standards_before_installing_anything(tmp_path):
    missing = tmp_path / "no-standards"
    done = subprocess.run(["bash", str(CI)], capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, TESSERA_STANDARDS_DIR=str(missing)))
    assert done.returncode == 1
    assert f"CI needs the official e-invoice standards (rules/ubl) at {missing}" in done.stderr
    assert "pip" not in done.stdout  # it stopped first


def test_ci_runs_the_readme_command_on_sqlite_then_on_postgresql_and_redis():
    script = CI.read_text()
    sqlite = script.index('run_suite SQLite')
    postgres = script.index('run_suite "PostgreSQL + Redis"')
    assert sqlite < script.index("export TESSERA_TEST_DATABASE_URL=") < postgres
    assert "timeout \"$((minutes * 60))\" python -m pytest\n" in script  # the README command, bounded
    assert script.rstrip().endswith('[ "$sqlite_status" -eq 0 ] && [ "$pg_status" -eq 0 ]')
    readme = (ROOT / "README.md").read_text()
    assert "python -m pytest" in readme


def test_tests_that_need_the_standards_fail_when_they_are_missing(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TESSERA_")}
    env.update(PYTHONPATH=str(ROOT), TESSERA_STANDARDS_DIR=str(tmp_path / "no-standards"))
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "0",
                           "tests/addons/einvoice/test_ubl.py", "-k", "official_samples"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode != 0
    assert "UBL validation needs the standards folder" in done.stdout + done.stderr
    assert "skipped" not in done.stdout.splitlines()[-1]
