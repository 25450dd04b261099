"""Where addons come from: ``addons/``, ``TESSERA_ADDONS_PATH``, then entry points.

Discovery reads manifests only. Entry points in the group ``tessera.addons`` name
a package; its folder is found with ``importlib.util.find_spec`` so that no addon
code runs just to be listed.
"""
from __future__ import annotations

import importlib.util
import sys
from importlib.metadata import entry_points
from pathlib import Path

from ..config import PROJECT_ROOT
from .errors import AddonError
from .manifest import Manifest, read_manifest

BUILTIN_DIR = PROJECT_ROOT / "addons"
ENTRY_POINT_GROUP = "tessera.addons"


def discover(extra_paths=(), *, builtin: bool = True, entry_point_group: str | None = ENTRY_POINT_GROUP
             ) -> dict[str, Manifest]:
    """Return every manifest found, by name; raise AddonError with all problems at once."""
    found: dict[str, Manifest] = {}
    problems: list[str] = []

    def add(manifest_path: Path, package: str):
        try:
            manifest = read_manifest(manifest_path, package)
        except AddonError as exc:
            problems.extend(exc.problems)
            return
        if manifest.name in found:
            other = found[manifest.name].path
            problems.append(f"{manifest.name}: duplicate addon name, found in {other} and {manifest.path}; "
                            f"remove or rename one of them")
            return
        if not (manifest.path / "__init__.py").exists():
            problems.append(f"{manifest.name}: {manifest.path} has no __init__.py; an addon is a Python package")
            return
        found[manifest.name] = manifest

    if builtin:
        for path in sorted(BUILTIN_DIR.glob("*/addon.toml")):
            add(path, f"addons.{path.parent.name}")
    for folder in extra_paths:
        folder = Path(folder).resolve()
        if not folder.is_dir():
            problems.append(f"TESSERA_ADDONS_PATH: {folder} is not a folder")
            continue
        if str(folder) not in sys.path:
            sys.path.append(str(folder))
        for path in sorted(folder.glob("*/addon.toml")):
            add(path, path.parent.name)
    if entry_point_group:
        for ep in entry_points(group=entry_point_group):
            try:
                spec = importlib.util.find_spec(ep.value.split(":")[0])
            except (ImportError, ValueError):  # a missing parent package raises instead of None
                spec = None
            if spec is None or not spec.submodule_search_locations:
                problems.append(f"entry point {ep.name!r} ({ep.value}): package not found; reinstall it")
                continue
            folder = Path(list(spec.submodule_search_locations)[0])
            add(folder / "addon.toml", ep.value.split(":")[0])
    if problems:
        raise AddonError(problems)
    return found
