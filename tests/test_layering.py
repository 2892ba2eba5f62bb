"""Imports go down only (DESIGN.md, "Layers" and "Systems"): parse every module and check
that shared layers import no system, systems import no other system, and module-level
imports form no cycle."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "autoparticles"

SYSTEMS = {"driving", "molecular", "oscillators", "crowd"}
SHARED = {"config": {"files"}, "exports": set(), "files": set(), "loop": set(),
          "threads": set(), "tasks": {"files", "threads", "ray_backend"}, "ray_backend": set(),
          "stats": set(),
          "invariants": {"exports"}, "render": {"invariants"}, "commands": {"render", "tasks"},
          "envs": {"exports", "loop", "invariants", "render"},
          "agents": {"exports", "config", "files", "invariants"},
          "bench": {"invariants"}}
"""Shared layers and the shared layers each may import (itself always allowed)."""
# which of our parts each part may import (itself always allowed); crowd is the pedestrian
# face of the driving world (its policies walk the crowd scenes beside JuPedSim)
ALLOWED = {
    **SHARED,
    "driving": set(SHARED),
    "molecular": {"agents", "invariants", "commands", "config", "exports", "files", "render",
                  "stats", "tasks"},
    "oscillators": {"agents", "commands", "config", "exports", "files", "loop", "render"},
    "crowd": {"commands", "config", "exports", "files", "driving", "loop"},
    "cli": set(SHARED) | SYSTEMS | {"demo"},
    "demo": set(SHARED) | SYSTEMS,
    "__init__": {"envs"},
}
HEAVY = {"pygame": {"render"}, "torch": {"agents", "oscillators"},
         "stable_baselines3": {"agents", "envs", "driving"}, "ray": {"ray_backend"},
         "openmm": {"molecular"}}


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


FACES = {"crowd": {"driving"}}
"""The one declared exception: crowd runs the driving world's policies on its scenes."""


def test_shared_layers_import_no_system_and_systems_not_each_other():
    for part in SHARED:
        assert not ALLOWED[part] & SYSTEMS, part
    for system in SYSTEMS:
        assert not ALLOWED[system] & (SYSTEMS - {system} - FACES.get(system, set())), system
    assert not ALLOWED["driving"] & {"crowd"}  # the face depends on the world, not back


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def module_level_imports(path: Path) -> set[str]:
    """Our modules imported at module level (not inside functions), as dotted names."""
    found = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {name for name in found if name.startswith("autoparticles.")}


def find_cycle(graph: dict) -> list | None:
    """One cycle of the directed graph (node -> set of nodes), or None."""
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                return stack[stack.index(target):] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_no_import_cycle_at_module_level():
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {name: {m for m in module_level_imports(path) if m in modules and m != name}
             for name, path in modules.items()}
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph))


def test_cycle_check_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_layering_check_catches_an_upward_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from autoparticles.envs import world\nimport pygame\n")
    found = list(imported_parts(bad))
    assert (1, "ours", "envs") in found and (2, "heavy", "pygame") in found


def test_import_is_light():
    import subprocess
    import sys

    code = "import sys, autoparticles; print(sorted(m for m in ('torch', 'pygame', 'stable_baselines3', 'ray', 'openmm') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_public_names_resolve_and_the_readme_links_only_files_it_ships():
    import importlib
    import re

    for part in ("envs", "agents", "driving", "molecular", "invariants", "render"):
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
