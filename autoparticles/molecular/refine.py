"""Structural refinement of a fitted water model: iterative Boltzmann inversion of its pair
terms (IBI; Reith, Pütz & Müller-Plathe, J. Comput. Chem. 24, 1624 (2003)).

A force fit leaves small systematic errors that the liquid's structure amplifies (README:
every fitted model's first RDF peaks come out high). Each iteration runs the model, compares
its RDFs g_AB with the reference's (O–O, and O–H and H–H between molecules) and adds to each
pair the potential
    Δu_AB(r) = α k_B T ln(g_AB(r) / g_AB^ref(r))
projected onto the model's radial basis h_n(r) = g_n(r) f_c(r) by weighted least squares
(weights g^ref r²: where the pairs are), with rows that hold Δu' = 0 closer than the
reference's first pairs between molecules: there the molecule's own O–H and H–H distances
lie, so the bonds and the bend keep their fitted forces.

A pair term Σ_n w_n h_n(d_ij) is linear in the radial invariants, so the refined model is
again one quadratic loss per species: each pair is counted in both atoms' losses, so the
linear coefficients of species A on neighbours B change by w_AB / 2; C, the centres and the
angular part stay. The forces barely change (`water refine` prints the test-frame force
errors before and after).
"""

import dataclasses
from pathlib import Path

import numpy as np

from autoparticles.agents.losses import QuadraticLoss
from autoparticles.files import atomic_write
from autoparticles.invariants.radial import RadialBasis, basis_values
from autoparticles.molecular.agent import WaterModel
from autoparticles.molecular.analysis import PEAK_WINDOWS, RDF, diffusion_coefficient, rdf
from autoparticles.molecular.config import RefineSettings, RunSettings, species_indices
from autoparticles.molecular.reference.dataset import ReferenceData
from autoparticles.molecular.units import BOLTZMANN_EV_PER_K
from autoparticles.molecular.world import simulate, start_simulation, temperature

PAIRS = {name.removeprefix("g_"): name for name in PEAK_WINDOWS}
"""Each refined pair (OO, OH, HH) and its RDF's name in PEAK_WINDOWS (analysis.py), which
holds its atomic numbers and whether only pairs between molecules count."""
CLOSEST = 0.8
"""[Å] From here to the reference's first pairs of a kind (its first bin with g above
MIN_PAIRS) the correction exerts no force: no pairs between molecules come that close, and
the molecule's own O–H (0.97 Å) and H···H (1.5 Å) distances lie there, so the bonds and the
bend keep their fitted forces."""
BIN_WIDTH = 0.05
"""RDF bins [Å]: wide enough that a 10 ps run of 64 molecules fills them."""
MIN_PAIRS = 0.1
"""Bins where either g is below this hold too few pairs for ln(g / g_ref) and are left out."""
HELD_ROWS = 24


def pair_rdfs(positions, numbers, box) -> dict[str, RDF]:
    """The refined pairs' RDFs of frames (F, N, 3) [Å]."""
    return {pair: rdf(positions, numbers, box, *PEAK_WINDOWS[name][:3], bin_width=BIN_WIDTH)
            for pair, name in PAIRS.items()}


def boltzmann_correction(basis: RadialBasis, target: dict, learned: dict, kt: float,
                         damping: float, ridge: float) -> dict[str, np.ndarray]:
    """Coefficients w (nb,) per pair of Δu(r) = Σ_n w_n h_n(r) [eV] ≈ damping·kt·ln(g/g_ref)
    (kt [eV]), from the RDFs of `pair_rdfs`; ridge: λ on the mean squared column."""
    corrections = {}
    for pair in PAIRS:
        r, g_ref, g = target[pair].r, target[pair].g, learned[pair].g
        inside = (g_ref > MIN_PAIRS) & (g > MIN_PAIRS) & (r < basis.cutoff)
        weight = np.sqrt(g_ref[inside]) * r[inside]
        rows = [basis_values(basis, r[inside])[0] * weight[:, None]]
        rhs = [damping * kt * np.log(g[inside] / g_ref[inside]) * weight]
        slopes = basis_values(basis, np.linspace(CLOSEST, r[inside][0], HELD_ROWS))[1]
        rows.append(slopes * 10.0 * weight.max())
        rhs.append(np.zeros(HELD_ROWS))
        a, b = np.vstack(rows), np.concatenate(rhs)
        penalty = ridge * np.sum(a * a) / basis.size
        corrections[pair] = np.linalg.solve(a.T @ a + penalty * np.eye(basis.size), a.T @ b)
    return corrections


def _require_conservative(model: WaterModel) -> None:
    if model.mode != "conservative":
        raise ValueError("structural refinement needs a conservative model (in agent mode "
                         "the forces are no energy's gradient)")


def add_pair_terms(model: WaterModel, coefficients: dict) -> WaterModel:
    """The model with Σ_pairs Σ_n w_n h_n(d) added to its energy, coefficients as from
    `boltzmann_correction` (conservative models: in agent mode each atom would feel half)."""
    _require_conservative(model)
    nb = model.basis.size
    linear = [loss.linear.copy() for loss in model.species_losses]
    for pair, name in PAIRS.items():
        a, b = species_indices(PEAK_WINDOWS[name][:2])
        linear[a][b * nb:(b + 1) * nb] += 0.5 * coefficients[pair]
        if a != b:
            linear[b][a * nb:(a + 1) * nb] += 0.5 * coefficients[pair]
    losses = tuple(QuadraticLoss(c, loss.quadratic, loss.centre)
                   for c, loss in zip(linear, model.species_losses))
    return dataclasses.replace(model, species_losses=losses)


def dataset_temperature(data: ReferenceData) -> float:
    """[K]: the dataset's target temperature, else its mean kinetic temperature."""
    if "temperature_k" in data.metadata:
        return float(data.metadata["temperature_k"])
    if data.velocities is None:
        raise ValueError("the dataset records neither a temperature nor velocities")
    return float(np.mean(temperature(data.velocities, data.masses)))


def peak_deviations(target: dict, learned: dict) -> dict[str, float]:
    """Relative first-peak height deviation of each learned RDF from the target's."""
    out = {}
    for pair, name in PAIRS.items():
        window = PEAK_WINDOWS[name][3]
        height = learned[pair].first_maximum(*window)[1]
        out[name] = height / target[pair].first_maximum(*window)[1] - 1
    return out


def refine_model(model: WaterModel, data: ReferenceData, settings: RefineSettings,
                 progress: bool = True, report=print, checkpoint=None
                 ) -> tuple[WaterModel, list[dict]]:
    """(refined model, history): `settings.iterations` runs at the dataset's temperature,
    each followed by one correction; history: per run its first-peak deviations, D [cm²/s]
    and mean T [K]. The target: all the dataset's frames. The model's metadata records the
    settings, the summed coefficients and the history; checkpoint(model), if given, receives
    the model so refined after every correction (an interruption loses one run at most)."""
    _require_conservative(model)  # before any run
    kelvin = dataset_temperature(data)
    target = pair_rdfs(data.positions, data.numbers, data.box)
    run = RunSettings(ps=settings.ps, temperature=kelvin, mts=settings.mts)
    total = {pair: np.zeros(model.basis.size) for pair in PAIRS}
    history, oxygens, fitted = [], np.nonzero(data.numbers == 8)[0], model.metadata
    for k in range(settings.iterations):
        traj = simulate(start_simulation(model, data, run), progress=progress)
        if traj.status != "ok":
            raise ValueError(f"refinement run {k + 1} ended early ({traj.status}); fewer "
                             "iterations or a smaller damping may hold")
        kept = traj.times >= traj.times[0] + 1000.0 * settings.skip_ps
        learned = pair_rdfs(traj.positions[kept], data.numbers, data.box)
        row = {"iteration": k + 1, **peak_deviations(target, learned),
               "D_cm2_s": diffusion_coefficient(traj.positions, traj.times, oxygens),
               "temperature_k": float(traj.temperatures.mean())}
        history.append(row)
        report(format_row(row))
        step = boltzmann_correction(model.basis, target, learned,
                                    BOLTZMANN_EV_PER_K * kelvin, settings.damping,
                                    settings.ridge)
        for pair in PAIRS:
            total[pair] += step[pair]
        record = {"refine": {"settings": dataclasses.asdict(settings), "temperature_k": kelvin,
                             "pair_terms": {p: w.tolist() for p, w in total.items()},
                             "history": list(history), "fitted": fitted}}
        model = dataclasses.replace(add_pair_terms(model, step), metadata=record)
        if checkpoint:
            checkpoint(model)
    return model, history


def format_row(row: dict) -> str:
    peaks = "  ".join(f"{name} {row[name]:+.1%}" for name in PAIRS.values())
    return (f"run {row['iteration']}: first peaks vs the reference {peaks}; "
            f"D {row['D_cm2_s'] * 1e5:.2f}e-5 cm²/s; T {row['temperature_k']:.1f} K")


def plot_refinement(model: WaterModel, path) -> Path:
    """PNG at path: the refined model's added pair potentials u_AB(r) [meV] and each run's
    first-peak deviations, from its metadata (`refine_model`)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    record = model.metadata["refine"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8))
    r = np.linspace(0.8, model.basis.cutoff, 400)
    values = basis_values(model.basis, r)[0]
    runs = [row["iteration"] for row in record["history"]]
    for pair, name in PAIRS.items():
        left.plot(r, 1000.0 * values @ np.asarray(record["pair_terms"][pair]), label=pair)
        right.plot(runs, [100.0 * row[name] for row in record["history"]], "o-", label=name)
    left.axhline(0.0, color="grey", lw=0.5)
    left.set(xlabel="r [Å]", ylabel="added pair potential [meV]",
             title="what the refinement added, per pair")
    right.axhspan(-10, 10, color="green", alpha=0.1, label="±10 %")
    right.axhline(0.0, color="grey", lw=0.5)
    right.set(xlabel="run", ylabel="first-peak height vs reference [%]",
              title="each run before its correction")
    left.legend()
    right.legend(fontsize=8)
    fig.tight_layout()
    atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=110))
    plt.close(fig)
    return Path(path)
