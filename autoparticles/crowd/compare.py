"""Every policy on the same scenes: bottlenecks of several widths and seeds (specific flow
against width) and periodic corridors of several densities (the speed–density fundamental
diagram, with Weidmann's curve for reference); a table and two plots.

Each run keeps its folder (trajectory.txt, metrics.json, scene.json) under OUT/runs/, and a
run whose metrics.json is there is not repeated: an interrupted comparison resumes."""

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from autoparticles.crowd.runs import run_and_write, write_json
from autoparticles.crowd.scenes import bottleneck, corridor
from autoparticles.files import atomic_write

WEIDMANN = {"v0": 1.34, "gamma": 1.913, "rho_max": 5.4}
"""Weidmann (1993) fundamental diagram: v(ρ) = v0 (1 − exp(−γ (1/ρ − 1/ρ_max))), v0 [m/s],
γ [1/m²], ρ_max [1/m²]."""
EXPERIMENT_SPECIFIC_FLOW = (1.6, 2.0)
"""The rough range of specific flows [1/(m·s)] in laboratory bottleneck experiments of
widths about 0.8–2.5 m (Kretz, Grünebohm & Schreckenberg 2006, J. Stat. Mech. P10014;
Seyfried et al. 2009, "New insights into pedestrian flow through bottlenecks", Transportation
Science 43(3); Liao et al. 2014, Transportation Research Procedia 2), drawn as a band for
orientation, not as a target: it depends on the crowd, the motivation and the set-up."""


def weidmann_speed(density) -> np.ndarray:
    """Weidmann's (1993) speed [m/s] at `density` [1/m²] (0 at and beyond ρ_max)."""
    rho = np.asarray(density, dtype=float)
    w = WEIDMANN
    return np.clip(w["v0"] * (1 - np.exp(-w["gamma"] * (1 / rho - 1 / w["rho_max"]))), 0, None)


@dataclass(frozen=True)
class Plan:
    """What a comparison runs: policies × bottleneck widths [m] × seeds with `agents`
    pedestrians, and policies × corridor densities [1/m²] × corridor_seeds."""

    policies: tuple[str, ...] = ("jupedsim",)
    widths: tuple[float, ...] = (0.8, 1.2, 1.6, 2.0, 2.4)
    seeds: int = 3
    agents: int = 100
    densities: tuple[float, ...] = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5)
    corridor_seeds: int = 1
    corridor_duration: float = 40.0


def _cached(folder: Path, make_scene, policy: str, seed: int) -> dict:
    done = folder / "metrics.json"
    if done.exists():
        return json.loads(done.read_text())
    return run_and_write(make_scene(), policy, seed, folder)


def folder_name(policy: str) -> str:
    """The folder of a policy's runs under OUT/runs/: its name, or for a model file
    `PARENT-STEM` (runs/g50/model.zip -> "g50-model")."""
    path = Path(policy)
    return f"{path.parent.name}-{path.stem}".lstrip("-") if policy.endswith(".zip") else policy


def run_plan(plan: Plan, out, progress=print) -> list[dict]:
    """Metrics of every run of `plan` (reusing those already under OUT/runs/)."""
    out, rows = Path(out), []
    for policy in plan.policies:
        runs = out / "runs" / folder_name(policy)
        for width in plan.widths:
            for seed in range(plan.seeds):
                folder = runs / f"bottleneck-w{width:g}-n{plan.agents}-s{seed}"
                rows.append(_cached(folder, lambda: bottleneck(width, plan.agents), policy, seed))
                progress(f"{policy} bottleneck w={width:g} m seed {seed}: specific flow "
                         f"{_number(rows[-1]['specific_flow'])} /(m·s)")
        for density in plan.densities:
            for seed in range(plan.corridor_seeds):
                folder = runs / f"corridor-rho{density:g}-t{plan.corridor_duration:g}-s{seed}"
                rows.append(_cached(folder, lambda: corridor(
                    density, duration=plan.corridor_duration), policy, seed))
                progress(f"{policy} corridor ρ={density:g} /m² seed {seed}: measured "
                         f"{_number(rows[-1]['density'])} /m², {_number(rows[-1]['speed'])} m/s")
    return rows


def _number(value, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _mean_std(values) -> tuple[float | None, float | None]:
    values = [v for v in values if v is not None]
    return (float(np.mean(values)), float(np.std(values))) if values else (None, None)


def bottleneck_table(rows: list[dict]) -> list[dict]:
    """Per policy and width: mean and spread over seeds of specific flow, flow, evacuation
    time, and the deepest overlaps (pair and wall, in radii) over the seeds."""
    table = []
    groups = sorted({(r["policy"], r["width"]) for r in rows if r["scene"] == "bottleneck"})
    for policy, width in groups:
        runs = [r for r in rows if r["scene"] == "bottleneck" and (r["policy"], r["width"]) ==
                (policy, width)]
        (js, js_sd), (j, _) = _mean_std([r["specific_flow"] for r in runs]), _mean_std(
            [r["flow"] for r in runs])
        table.append({"policy": policy, "width": width, "seeds": len(runs), "flow": j,
                      "specific_flow": js, "specific_flow_std": js_sd,
                      "evacuated": _mean_std([r["evacuated"] for r in runs])[0],
                      "evacuation_time": _mean_std([r["evacuation_time"] for r in runs])[0],
                      "max_pair_depth": max(r["overlaps"]["max_pair_depth"] for r in runs),
                      "max_wall_depth": max(r["overlaps"]["max_wall_depth"] for r in runs)})
    return table


def corridor_table(rows: list[dict]) -> list[dict]:
    """Per corridor run: set and measured density, speed, Weidmann's speed at the measured
    density and the relative deviation from it."""
    table = []
    for r in rows:
        if r["scene"] != "corridor" or r["density"] is None:
            continue
        expected = float(weidmann_speed(r["density"]))
        table.append({"policy": r["policy"], "seed": r["seed"], "set_density": r["agents_density"],
                      "density": r["density"], "speed": r["speed"], "weidmann_speed": expected,
                      "deviation": (r["speed"] - expected) / expected if expected > 0 else None})
    return table


def format_tables(bottlenecks: list[dict], corridors: list[dict]) -> str:
    lines = ["## Bottleneck: specific flow against width", "",
             "| policy | width [m] | seeds | flow [1/s] | specific flow [1/(m·s)] | evacuated | "
             "evacuation time [s] | deepest overlap, pairs / walls [r] |",
             "|---|---|---|---|---|---|---|---|"]
    for t in bottlenecks:
        lines.append(f"| {t['policy']} | {t['width']:g} | {t['seeds']} | {_number(t['flow'])} | "
                     f"{_number(t['specific_flow'])} ± {_number(t['specific_flow_std'])} | "
                     f"{_number(t['evacuated'])} | {_number(t['evacuation_time'], 1)} | "
                     f"{_number(t['max_pair_depth'], 3)} / {_number(t['max_wall_depth'], 3)} |")
    lines += ["", "## Corridor: speed against density (Voronoi, measurement area in the middle)",
              "", "| policy | seed | set density [1/m²] | density [1/m²] | speed [m/s] | "
              "Weidmann [m/s] | deviation |", "|---|---|---|---|---|---|---|"]
    for t in corridors:
        deviation = "–" if t["deviation"] is None else f"{100 * t['deviation']:+.0f} %"
        lines.append(f"| {t['policy']} | {t['seed']} | {_number(t['set_density'])} | "
                     f"{_number(t['density'])} | {_number(t['speed'])} | "
                     f"{_number(t['weidmann_speed'])} | {deviation} |")
    return "\n".join(lines) + "\n"


def plot_specific_flow(bottlenecks: list[dict], path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8.6, 4.4), dpi=120)
    for k, policy in enumerate(dict.fromkeys(t["policy"] for t in bottlenecks)):
        mine = [t for t in bottlenecks if t["policy"] == policy and t["specific_flow"] is not None]
        ax.errorbar([t["width"] for t in mine], [t["specific_flow"] for t in mine],
                    yerr=[t["specific_flow_std"] for t in mine], marker="os^Dv"[k % 5],
                    capsize=3, lw=1.5, label=folder_name(policy))
    ax.axhspan(*EXPERIMENT_SPECIFIC_FLOW, color="0.85", zorder=0,
               label="laboratory experiments, roughly")
    ax.set(xlabel="bottleneck width w [m]", ylabel="specific flow J / w [1/(m·s)]",
           title="Flow through a bottleneck (mean ± sd over seeds)")
    ax.set_ylim(0, max(2.5, ax.get_ylim()[1]))
    ax.grid(alpha=0.3)
    _legend_beside(ax)
    return _save(fig, path)


def plot_fundamental_diagram(corridors: list[dict], path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9.4, 4.4), dpi=120)
    rho = np.linspace(0.05, WEIDMANN["rho_max"], 300)
    ax.plot(rho, weidmann_speed(rho), color="k", lw=1.5,
            label="Weidmann (1993): $v_0(1-e^{-\\gamma(1/\\rho-1/\\rho_{max})})$\n"
                  "$v_0$ = 1.34 m/s, $\\gamma$ = 1.913 m$^{-2}$, $\\rho_{max}$ = 5.4 m$^{-2}$")
    for k, policy in enumerate(dict.fromkeys(t["policy"] for t in corridors)):
        mine = [t for t in corridors if t["policy"] == policy]
        ax.plot([t["density"] for t in mine], [t["speed"] for t in mine], "os^Dv"[k % 5],
                ms=7, alpha=0.85, label=f"{folder_name(policy)} (periodic corridor)")
    ax.set(xlabel="Voronoi density ρ [1/m²]", ylabel="Voronoi speed v [m/s]", xlim=(0, 5.5),
           ylim=(0, 1.6), title="Speed–density fundamental diagram")
    ax.grid(alpha=0.3)
    _legend_beside(ax)
    return _save(fig, path)


def _legend_beside(ax) -> None:
    """The legend right of the axes, where it covers no point (inside, the policies' points
    filled every corner)."""
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=9, borderaxespad=0.0)


def _save(fig, path) -> Path:
    import matplotlib.pyplot as plt

    fig.tight_layout()
    atomic_write(path, lambda tmp: fig.savefig(tmp))
    plt.close(fig)
    return Path(path)


OUTPUTS = ("summary.md", "results.csv", "specific_flow.png", "fundamental_diagram.png",
           "plan.json")
"""The files a comparison writes into OUT (besides OUT/runs/)."""


def compare(plan: Plan, out, progress=print) -> str:
    """Run `plan` into `out`, write OUTPUTS, and return the summary text."""
    out = Path(out)
    rows = run_plan(plan, out, progress)
    bottlenecks, corridors = bottleneck_table(rows), corridor_table(rows)
    text = ("# Pedestrians: policies against JuPedSim, analysed with PedPy\n\n"
            + format_tables(bottlenecks, corridors))
    atomic_write(out / "summary.md", lambda tmp: tmp.write_text(text))
    _write_csv(rows, out / "results.csv")
    plot_specific_flow(bottlenecks, out / "specific_flow.png")
    plot_fundamental_diagram(corridors, out / "fundamental_diagram.png")
    write_json({k: list(v) if isinstance(v, tuple) else v for k, v in vars(plan).items()},
               out / "plan.json")
    return text


def _write_csv(rows: list[dict], path) -> None:
    keys = ["policy", "scene", "seed", "width", "agents", "agents_density", "flow",
            "specific_flow", "density", "speed", "density_classic", "evacuated",
            "evacuation_time"]

    def write(tmp: Path) -> None:
        with open(tmp, "w", newline="") as handle:
            depths = ["max_pair_depth", "max_wall_depth"]
            writer = csv.DictWriter(handle, fieldnames=keys + depths, extrasaction="ignore")
            writer.writeheader()
            for r in rows:
                writer.writerow({**r, **{k: r["overlaps"][k] for k in depths}})

    atomic_write(path, write)
