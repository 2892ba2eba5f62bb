"""Does numba's parallel=True pay for the water's radial invariants on this machine?

    python benchmarks/bench_parallel_radial.py [--molecules 512 4096] [--repeats 20]

Boxes: the peers' random 64-molecule box tiled k × k × k (bench_openmm_water.tiled_box).

The production kernel (`invariants.radial._radial_kernel`) visits each pair once (i < j)
and adds to both atoms' rows: a scatter that threads cannot share without races. Its
parallel form is a gather: every atom walks its own row of the full list and writes only
its own φ, so each pair is evaluated twice. Timed here on the shipped model's basis: the
serial scatter (the engine's call, with slopes and unit vectors as the engine needs), and
the gather (values, slopes and unit vectors of the atom's own row, the same basis table)
under `numba.set_num_threads(1)` and
`(2)`. Threads are the machine's cores; the default everywhere stays one thread.
"""

import argparse
import os
import time

os.environ.setdefault("NUMBA_NUM_THREADS", "2")

import numba  # noqa: E402
import numpy as np  # noqa: E402

from autoparticles.invariants.radial import _exact_one, hermite_value, hermite_weights  # noqa: E402
from autoparticles.invariants.space import nearest_image  # noqa: E402
from bench_openmm_water import tiled_box  # noqa: E402  (same folder)


@numba.njit(cache=True, error_model="numpy", fastmath={"contract", "arcp", "reassoc"})
def _atom_row(i, x, species, box, indptr, indices, kind, centres, eta, cutoff, t_start,
              t_step, t_values, t_slopes, phi, slope, unit):
    """φ[i], the slope rows and unit vectors of atom i's own list entries, with the production kernel's
    basis (exact below t_start, the Hermite table above). A function of its own: numba's
    parallel analysis fails on the table helpers' tuples inside a prange body."""
    nb = centres.shape[0]
    last = t_values.shape[0] - 1
    for c in range(phi.shape[1]):
        phi[i, c] = 0.0
    for p in range(indptr[i], indptr[i + 1]):
        j = indices[p]
        rx = nearest_image(x[j, 0] - x[i, 0], box[0], 1.0 / box[0])
        ry = nearest_image(x[j, 1] - x[i, 1], box[1], 1.0 / box[1])
        rz = nearest_image(x[j, 2] - x[i, 2], box[2], 1.0 / box[2])
        d = np.sqrt(rx * rx + ry * ry + rz * rz)
        col = species[j] * nb
        if d >= cutoff:
            continue
        unit[p, 0], unit[p, 1], unit[p, 2] = rx / d, ry / d, rz / d
        k, weights = hermite_weights(max(d, t_start), t_start, t_step, last)
        for n in range(nb):
            if d < t_start:  # as the production kernel: exact below the table
                h, dh = _exact_one(kind, centres, eta, cutoff, d, n)
            else:
                h, dh = hermite_value(t_values, t_slopes, t_step, k, n, weights)
            phi[i, col + n] += h
            slope[p, n] = dh


@numba.njit(parallel=True, cache=True)
def gather_phi(x, species, box, indptr, indices, kind, centres, eta, cutoff, t_start, t_step,
               t_values, t_slopes, phi, slope, unit):
    """`_atom_row` for every atom, atoms shared out over the threads."""
    for i in numba.prange(x.shape[0]):
        _atom_row(i, x, species, box, indptr, indices, kind, centres, eta, cutoff, t_start,
                  t_step, t_values, t_slopes, phi, slope, unit)


def best_time(call, repeats: int) -> float:
    call()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return min(times)


def main():
    from autoparticles.invariants.radial import KINDS, radial_invariants
    from autoparticles.molecular.agent import load_model
    from autoparticles.molecular.config import species_indices

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--molecules", type=int, nargs="+", default=[512, 4096])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    model = load_model()
    basis = model.basis
    print(f"cores: {os.cpu_count()}, numba threads available: {numba.config.NUMBA_NUM_THREADS}")
    print("  H2O   serial scatter [ms]   gather, 1 thread [ms]   gather, 2 threads [ms]   "
          "2 threads / serial")
    for molecules in args.molecules:
        box, _ = tiled_box(molecules)
        x = np.ascontiguousarray(box.positions)
        species = species_indices(box.numbers)
        nlist = model.new_neighbour_list(box.box)
        nlist.update(x)
        phi = np.empty((len(x), 2 * basis.size))
        slope = np.empty((len(nlist.indices), basis.size))
        unit = np.empty((len(nlist.indices), 3))
        table = basis.table()
        serial = best_time(lambda: radial_invariants(x, species, nlist, basis, both_sides=False),
                           args.repeats)
        rates = {}
        for threads in (1, 2):
            numba.set_num_threads(threads)
            rates[threads] = best_time(lambda: gather_phi(
                x, species, box.box, nlist.indptr, nlist.indices, KINDS[basis.kind],
                basis.centres, basis.eta, basis.cutoff, table.start, table.step, table.values,
                table.slopes, phi, slope, unit), args.repeats)
        numba.set_num_threads(1)
        print(f"{molecules:6d}   {1e3 * serial:19.2f}   {1e3 * rates[1]:21.2f}   "
              f"{1e3 * rates[2]:22.2f}   {serial / rates[2]:17.2f}×", flush=True)


if __name__ == "__main__":
    main()
