"""Benchmarks live under bench/ (a runner, shared helpers, one module per addon), never in the
packages users install; the runner finds them by file name, not through addon manifests."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.addons.errors import AddonError
from core.addons.manifest import read_manifest

ROOT = Path(__file__).resolve().parent.parent


def run_bench(*args, cwd=ROOT) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), TESSERA_DISABLE_ENTRY_POINTS="true")
    return subprocess.run([sys.executable, str(cwd / "bench" / "run.py"), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_the_runner_lists_core_and_each_addon_module():
    listed = run_bench("--list")
    assert listed.returncode == 0, listed.stderr
    owners = {line.split(".", 1)[0] for line in listed.stdout.splitlines()}
    assert owners == {"core", *(p.stem for p in (ROOT / "bench").glob("*.py")
                                if p.stem not in ("run", "harness", "core_bench"))}
    assert {"einvoice", "sales_stock"} <= owners
    assert "sales_stock.order_pipeline" in listed.stdout


def test_no_benchmark_code_ships_in_core_or_an_addon():
    shipped = sorted(str(p.relative_to(ROOT)) for package in ("core", "addons")
                     for p in (ROOT / package).rglob("*bench*.py"))
    assert shipped == []


def test_bench_is_no_longer_a_provide_kind(tmp_path):
    folder = tmp_path / "gauge"
    folder.mkdir()
    (folder / "addon.toml").write_text('name = "gauge"\nversion = "1.0"\n[provides]\nbench = ".bench:BENCHMARKS"\n')
    with pytest.raises(AddonError) as err:
        read_manifest(folder / "addon.toml", "gauge")
    assert "provides.bench" in str(err.value) and "unknown" in str(err.value)


def test_a_bench_module_of_no_addon_is_an_error(tmp_path):
    (tmp_path / "bench").mkdir()
    for name in ("run.py", "harness.py", "core_bench.py"):
        (tmp_path / "bench" / name).write_text((ROOT / "bench" / name).read_text())
    (tmp_path / "bench" / "no_such_addon.py").write_text("BENCHMARKS = []\n")
    listed = run_bench("--list", cwd=tmp_path)
    assert listed.returncode != 0 and "bench/no_such_addon.py names no addon" in listed.stderr
