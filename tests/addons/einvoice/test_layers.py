"""The e-invoice addon's imports go one way: the layers drawn in ``addons/einvoice/__init__.py``.

A module may import modules of its own layer or of the layers below, never above.
Imports inside functions count too: a late import is a dependency all the same.
"""
import ast
from pathlib import Path

ADDON = Path(__file__).resolve().parents[3] / "addons" / "einvoice"
PACKAGE = "addons.einvoice"
# Top-level module or package of the addon -> its layer (higher layers may import lower ones).
LAYERS = {"models": 0, "immutability": 0, "totals": 0,
          "rendering": 1, "providers": 1,
          "services": 2,
          "admin": 3, "page": 3, "forms": 3, "cli": 3, "jobs": 3, "events": 3, "demo": 3, "dashboard": 3,
          "api": 3}
LAYER_NAMES = ("models and pure calculation", "rendering and the provider framework", "services",
               "admin, CLI, jobs, events, demo, API")


def addon_modules() -> dict[str, Path]:
    found = {}
    for path in ADDON.rglob("*.py"):
        parts = path.relative_to(ADDON).with_suffix("").parts
        if parts[0] == "migrations" or parts == ("__init__",):
            continue
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def einvoice_imports(name: str, path: Path) -> set[str]:
    """Names (relative to the addon) of the addon's modules that module ``name`` imports."""
    package = f"{PACKAGE}.{name}".split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    imported = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            imported += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[:len(package) - node.level + 1] + ([base] if base else []))
            imported += [base] + [f"{base}.{alias.name}" for alias in node.names]
    inside = (module.removeprefix(PACKAGE + ".") for module in imported if module.startswith(PACKAGE + "."))
    return {module for module in inside if module.split(".")[0] in LAYERS}


def test_every_module_of_the_addon_has_a_layer():
    unplaced = sorted(name for name in addon_modules() if name.split(".")[0] not in LAYERS)
    assert unplaced == [], f"place these modules in a layer of test_layers.LAYERS: {unplaced}"


def test_imports_only_go_down_the_layers():
    upward = []
    for name, path in sorted(addon_modules().items()):
        own = LAYERS[name.split(".")[0]]
        for target in sorted(einvoice_imports(name, path)):
            if LAYERS[target.split(".")[0]] > own:
                upward.append(f"{name} ({LAYER_NAMES[own]}) imports {target} "
                              f"({LAYER_NAMES[LAYERS[target.split('.')[0]]]})")
    assert upward == []


def test_the_layer_check_sees_relative_late_and_absolute_imports(tmp_path):
    module = tmp_path / "models.py"
    module.write_text("def taxes():\n    from .services.documents import get_document\n"
                      "import addons.einvoice.admin\nfrom addons.einvoice.rendering import pdf\n")
    assert einvoice_imports("models", module) >= {"services.documents", "admin", "rendering.pdf"}
