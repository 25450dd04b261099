"""The one benchmark runner: ``python bench/run.py [NAME ...] [--quick]``.

Collects the core benchmarks (bench/core_bench.py) and one module per addon,
``bench/<addon>.py``, each exporting ``BENCHMARKS``: a list of functions
``fn(quick)`` or ``fn(quick, backend)`` returning a result dict or a list of
them. Shared helpers are in bench/harness.py. Benchmarks live here, outside the
packages users install. Prints one JSON object per result on stdout, a readable
table on stderr, and exits non-zero if any benchmark failed.

NAME selects benchmarks by function name (``startup``), by ``addon.function``,
or by addon (``catalog``).
"""
from __future__ import annotations

import argparse
import inspect
import json
import os
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

KEYS = ("name", "value", "unit", "floor", "floor_unit", "ratio", "backend", "params")


def backend_name() -> str:
    url = os.environ.get("TESSERA_BENCH_DATABASE_URL", "")
    return "postgresql" if url.startswith("postgresql") else "sqlite"


BENCH_DIR = Path(__file__).resolve().parent
NOT_AN_ADDON = {"run", "harness", "core_bench"}  # the runner, the shared helpers, core's benchmarks


def collect() -> list[tuple[str, str, object]]:
    """(owner, name, fn) for core and for every bench/<addon>.py of a discovered addon.

    A bench module named after no discovered addon is an error rather than silently
    skipped: it is a typo or a leftover of a removed addon.
    """
    import importlib

    import core_bench
    from core.addons.registry import Registry
    from core.config import load_config
    found = [("core", fn.__name__, fn) for fn in core_bench.BENCHMARKS]
    addons = Registry.discover(load_config()).manifests
    for path in sorted(BENCH_DIR.glob("*.py")):
        if path.stem in NOT_AN_ADDON:
            continue
        if path.stem not in addons:
            raise SystemExit(f"error: bench/{path.name} names no addon (known: {', '.join(sorted(addons))})")
        module = importlib.import_module(path.stem)
        found.extend((path.stem, fn.__name__, fn) for fn in module.BENCHMARKS)
    return found


def selected(owner: str, name: str, wanted: list[str]) -> bool:
    return not wanted or any(w in (name, owner, f"{owner}.{name}") for w in wanted)


def call(fn, quick: bool, backend: str) -> list[dict]:
    params = inspect.signature(fn).parameters
    out = fn(quick, backend) if len(params) >= 2 else fn(quick)
    rows = [out] if isinstance(out, dict) else list(out)
    for row in rows:
        missing = [k for k in KEYS if k not in row]
        if missing:
            raise ValueError(f"{fn.__module__}.{fn.__name__} returned a result without {', '.join(missing)}")
        if row["ratio"] is None and row["floor"]:
            row["ratio"] = row["value"] / row["floor"]
    return rows


def check_names(rows: list[dict]) -> None:
    """Every row of a run has its own name: two rows called ``pdf_render`` cannot be told apart
    in the JSON or compared between runs."""
    seen = {}
    for row in rows:
        key = (row["name"], row["backend"])
        if key in seen:
            raise ValueError(f"two results named {row['name']!r} on {row['backend']}: give each its own name")
        seen[key] = row


UNSTEADY = 0.20  # the same threshold as harness.UNSTEADY: (max - min) / median above it is flagged


def _figure(row, key) -> str:
    """``median [min-max] unit`` for a figure measured in interleaved rounds, else ``value unit``."""
    unit = row["unit"] if key == "value" else row["floor_unit"]
    text = f"{row[key]:.4g}"
    if f"{key}_min" in row:
        text += f" [{row[key + '_min']:.4g}-{row[key + '_max']:.4g}]"
    return f"{text} {unit}"


def _ratio(row) -> str:
    if row["ratio"] is None:
        return ""
    text = f"{row['ratio']:.3f}"
    if row.get("ratio_min") is not None:
        text += f" [{row['ratio_min']:.3f}-{row['ratio_max']:.3f}]"
    if row.get("raw_broker_ratio") is not None:
        text += f" (raw broker {row['raw_broker']:.4g}/s: {row['raw_broker_ratio']:.3f})"
    return text


def _statements(row) -> str:
    counted = row.get("statements")
    if not counted:
        return ""
    return f"{counted['subject']:g} vs {counted['floor']:g}" if "floor" in counted else f"{counted['subject']:g}"


def _steadiness(row) -> str:
    if "spread" not in row:
        return "1 run"
    flag = " UNSTEADY" if row["spread"] > UNSTEADY else ""
    return f"{row['rounds']}x, spread {row['spread'] * 100:.0f}%{flag}"


def table(rows: list[dict]) -> str:
    """The readable table: median [min-max] of the rounds, the ratio, statements per unit of work
    (subject vs floor, where counted) and the rounds' spread, flagged past 20 %."""
    head = ("benchmark", "value", "floor", "ratio", "statements", "rounds", "backend")
    lines = [(r["name"], _figure(r, "value"), _figure(r, "floor"), _ratio(r), _statements(r), _steadiness(r),
              r["backend"]) for r in rows]
    widths = [max(len(str(x)) for x in col) for col in zip(head, *lines)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return "\n".join([fmt.format(*head), fmt.format(*("-" * w for w in widths))] +
                      [fmt.format(*line) for line in lines])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help="benchmarks to run (default: all)")
    parser.add_argument("--quick", action="store_true", help="fewer iterations, for CI and smoke runs")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = parser.parse_args(argv)
    if str(BENCH_DIR) not in sys.path:
        sys.path.insert(0, str(BENCH_DIR))
    benchmarks = collect()
    if args.list:
        for owner, name, fn in benchmarks:
            doc = (inspect.getdoc(fn) or "").splitlines()[:1]
            print(f"{owner}.{name}\t{doc[0] if doc else ''}")
        return 0
    chosen = [b for b in benchmarks if selected(b[0], b[1], args.names)]
    unknown = [w for w in args.names if not any(selected(o, n, [w]) for o, n, _ in benchmarks)]
    if unknown:
        known = ", ".join(f"{o}.{n}" for o, n, _ in benchmarks)
        print(f"error: no benchmark {', '.join(unknown)} (known: {known})", file=sys.stderr)
        return 2
    backend = backend_name()
    rows, failed = [], []
    for owner, name, fn in chosen:
        started = time.perf_counter()
        print(f"running {owner}.{name}{' (quick)' if args.quick else ''} ...", file=sys.stderr, flush=True)
        try:
            results = call(fn, args.quick, backend)
        except Exception as exc:
            failed.append(f"{owner}.{name}")
            print(f"error: {owner}.{name} failed: {type(exc).__name__}: {exc}", file=sys.stderr)
            traceback.print_exc(file=sys.stderr)
            continue
        try:
            check_names(rows + results)
        except ValueError as exc:
            failed.append(f"{owner}.{name}")
            print(f"error: {owner}.{name}: {exc}", file=sys.stderr)
            continue
        for row in results:
            row = {k: row[k] for k in KEYS} | {k: v for k, v in row.items() if k not in KEYS}
            print(json.dumps(row, default=str), flush=True)
            rows.append(row)
        print(f"  {owner}.{name} took {time.perf_counter() - started:.1f}s", file=sys.stderr)
    if rows:
        print("\n" + table(rows), file=sys.stderr)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
