"""Imports go down only (DESIGN.md, "Layers"): parse every module and check its imports."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "autoparticles"

# which of our parts each part may import (itself always allowed)
ALLOWED = {
    "config": set(),
    "exports": set(),
    "commands": {"render"},
    "invariants": set(),
    "render": set(),
    "envs": {"invariants", "render"},
    "agents": {"envs", "invariants"},
    "molecular": {"agents", "invariants", "commands", "config", "exports", "render", "watch"},
    "driving": {"agents", "envs", "invariants", "commands", "config", "render", "watch"},
    "bench": {"invariants", "envs", "agents", "molecular"},
    "cli": {"invariants", "envs", "agents", "molecular", "driving", "render", "bench", "demo",
            "watch", "commands", "config"},
    "watch": {"invariants", "envs", "agents", "molecular", "render"},
    "demo": {"invariants", "envs", "agents", "molecular", "render", "bench", "watch"},
    "__init__": {"envs"},
}
HEAVY = {"pygame": {"render"}, "torch": {"agents"}, "stable_baselines3": {"agents", "envs"}}


def part_of(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def imported_parts(path: Path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "autoparticles" and len(parts) > 1:
                yield node.lineno, "ours", parts[1]
            elif parts[0] in HEAVY:
                yield node.lineno, "heavy", parts[0]


def test_every_part_is_known():
    for path in PACKAGE.rglob("*.py"):
        assert part_of(path) in ALLOWED, f"{path} belongs to no layer of DESIGN.md"


def test_imports_go_down_only():
    problems = []
    for path in PACKAGE.rglob("*.py"):
        part = part_of(path)
        for line, kind, target in imported_parts(path):
            if kind == "ours" and target != part and target not in ALLOWED[part]:
                problems.append(f"{path.relative_to(PACKAGE.parent)}:{line} {part} imports {target}")
            if kind == "heavy" and part not in HEAVY[target]:
                problems.append(f"{path.relative_to(PACKAGE.parent)}:{line} {part} imports {target}")
    assert not problems, "upward or heavy imports:\n" + "\n".join(problems)


def test_layering_check_catches_an_upward_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from autoparticles.envs import world\nimport pygame\n")
    found = list(imported_parts(bad))
    assert (1, "ours", "envs") in found and (2, "heavy", "pygame") in found


def test_import_is_light():
    import subprocess
    import sys

    code = "import sys, autoparticles; print(sorted(m for m in ('torch', 'pygame', 'stable_baselines3') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_public_names_resolve_and_the_readme_links_only_files_it_ships():
    import importlib
    import re

    for part in ("envs", "agents", "molecular", "invariants", "render"):
        module = importlib.import_module(f"autoparticles.{part}")
        for name in module.__all__:
            assert getattr(module, name) is not None, f"autoparticles.{part}.{name}"
    from autoparticles.molecular import load_model, load_reference  # the names the docs use

    assert load_reference().n_frames > 0 and load_model().mode == "conservative"
    readme = (PACKAGE.parent / "README.md").read_text()
    links = re.findall(r"\]\(([^)#]+)\)", readme)
    assert "docs/driving.md" in links and "docs/water.md" in links
    for link in links:
        assert not link.startswith(".."), link
        assert (PACKAGE.parent / link).exists(), link
