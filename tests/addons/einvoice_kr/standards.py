"""Where the shared standards are (``TESSERA_STANDARDS_DIR`` or ``../shared/standards``), for the tests."""
from __future__ import annotations

import json
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
STANDARDS = Path(os.environ.get("TESSERA_STANDARDS_DIR") or ROOT.parent / "shared" / "standards")
if not os.environ.get("TESSERA_STANDARDS_DIR") and not STANDARDS.is_dir():
    STANDARDS = ROOT / "shared" / "standards"   # a worktree's ``shared`` link
SAMPLES = STANDARDS / "samples"


def vectors(group: str) -> dict:
    return json.loads((STANDARDS / "rules" / "taxid" / "stdnum-vectors.json").read_text())["vectors"][group]


def kr_samples() -> list[dict]:
    manifest = json.loads((SAMPLES / "manifest.json").read_text())
    items = manifest if isinstance(manifest, list) else manifest.get("samples") or manifest.get("files") or []
    return [item for item in items if item.get("check") == "kr"]
