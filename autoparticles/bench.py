"""The timing loop every speed measurement uses, the command line of a table benchmark, and
the shared-layer throughput of `benchmarks/` and `autoparticles demo` (each system's own
measurements live in its folder, e.g. `autoparticles.driving.bench`).

Neighbour search + pair invariants: disks move ballistically in a 2-D periodic box at
density n = 31/400, one `NeighbourList.update` and one `pair_invariants` call per step;
against the dense all-pairs numpy formulation of the same invariants.
"""

import time

import numpy as np
import pandas as pd

from autoparticles.invariants.neighbours import NeighbourList
from autoparticles.invariants.pair import NO_NEIGHBOUR, pair_invariants, time_to_collision
from autoparticles.invariants.space import displacement

DENSITY = 31 / 400.0
SENSING = 5.0
DT = 0.1


def time_calls(step, min_seconds: float, min_calls: int = 3) -> tuple[int, float]:
    """Call step() until min_seconds and at least min_calls calls have passed:
    (calls, seconds)."""
    steps, started = 0, time.perf_counter()
    while True:
        step()
        steps += 1
        elapsed = time.perf_counter() - started
        if elapsed >= min_seconds and steps >= min_calls:
            return steps, elapsed


def _ballistic_state(n: int, seed: int):
    rng = np.random.default_rng(seed)
    edge = float(np.sqrt(n / DENSITY))
    x = rng.uniform(0, edge, (n, 2))
    angle = rng.uniform(0, 2 * np.pi, n)
    v = np.stack([np.cos(angle), np.sin(angle)], axis=1)
    return x, v, edge


def cell_list_rate(n: int, min_seconds: float = 1.0, seed: int = 0) -> dict:
    """Particle-steps/s of neighbour update + invariants (particles re-sorted by cell)."""
    x, v, edge = _ballistic_state(n, seed)
    nl = NeighbourList(SENSING, edge, skin=1.0, reorder=True)

    def step(x, v):
        perm = nl.update(x)
        if perm is not None:
            x, v = x[perm], v[perm]
        pair_invariants(x, v, nl)
        return np.mod(x + v * DT, edge), v

    state = {"x": x, "v": v}

    def advance():
        state["x"], state["v"] = step(state["x"], state["v"])

    advance()  # compile / warm up
    steps, elapsed = time_calls(advance, min_seconds)
    return {"method": "cell list (numba)", "N": n, "steps": steps, "seconds": elapsed,
            "particle_steps_per_s": n * steps / elapsed, "rebuilds": nl.builds}


def all_pairs_numpy_step(x: np.ndarray, v: np.ndarray, edge: float, radius: float = 0.5,
                         v_max: float = 2.0, tau0: float = 2.0) -> np.ndarray:
    """Most-urgent-neighbour invariants (N, 4) from dense (N, N) numpy arrays: what plain
    numpy does without a neighbour list (the baseline of the invariants benchmark; a test
    checks that it gives the kernel's numbers)."""
    r = displacement(x[:, None, :], x[None, :, :], edge)
    u = v[None, :, :] - v[:, None, :]
    dist = np.linalg.norm(r, axis=2)
    np.fill_diagonal(dist, np.inf)
    tau = time_to_collision(r, u, radius)
    tau[dist >= SENSING] = np.inf
    nearest = np.argmin(dist, axis=1)
    urgent = np.argmin(tau, axis=1)
    rows = np.arange(len(x))
    pick = np.where(np.isfinite(tau[rows, urgent]), urgent, nearest)
    rp, up, dp, tp = r[rows, pick], u[rows, pick], dist[rows, pick], tau[rows, pick]
    feats = np.stack([
        np.clip(dp - 2 * radius, 0, SENSING) / SENSING,
        np.einsum("nd,nd->n", rp, up) / dp / (2 * v_max),
        (rp[:, 0] * up[:, 1] - rp[:, 1] * up[:, 0]) / dp / (2 * v_max),
        np.where(np.isfinite(tp), np.exp(-tp / tau0), 0.0),
    ], axis=1)
    feats[dp >= SENSING] = NO_NEIGHBOUR
    return feats


def all_pairs_rate(n: int, min_seconds: float = 1.0, seed: int = 0) -> dict:
    """Particle-steps/s of the dense numpy all-pairs version (small N only)."""
    x, v, edge = _ballistic_state(n, seed)
    steps, elapsed = time_calls(lambda: all_pairs_numpy_step(np.mod(x + v * DT, edge), v, edge),
                                 min_seconds)
    return {"method": "all pairs (numpy)", "N": n, "steps": steps, "seconds": elapsed,
            "particle_steps_per_s": n * steps / elapsed, "rebuilds": steps}


def invariants_throughput(sizes=(100, 1_000, 10_000, 100_000), numpy_sizes=(100, 1_000),
                          min_seconds: float = 1.0) -> pd.DataFrame:
    """Long table of particle-steps/s: the cell list at every size, numpy at small sizes."""
    rows = [cell_list_rate(n, min_seconds) for n in sizes]
    rows += [all_pairs_rate(n, min_seconds) for n in numpy_sizes]
    return pd.DataFrame(rows)


def format_invariants(table: pd.DataFrame) -> str:
    """One row per N: millions of particle-steps/s of each method and their ratio ('-' where a
    method was not run)."""
    rates = table.pivot(index="N", columns="method", values="particle_steps_per_s")[
        table.method.unique()].rename_axis(columns=None) / 1e6
    rates["cell list / numpy"] = rates["cell list (numba)"] / rates["all pairs (numpy)"]
    return rates.to_string(float_format=lambda v: f"{v:,.3g}", na_rep="-")


def benchmark_main(doc: str, measure, csv_name: str) -> None:
    """Command line of a table benchmark: --seconds, --out; prints the table, writes CSV."""
    import argparse
    from pathlib import Path

    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="minimum timing per size")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()
    table = measure(min_seconds=args.seconds)
    args.out.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out / csv_name, index=False)
    print(table.to_string(index=False, float_format=lambda v: f"{v:,.4g}"))
    print(f"\nwrote {args.out / csv_name}")
