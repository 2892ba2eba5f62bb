"""Fit the atoms' quadratic losses to reference forces by ridge least squares.

Forces are linear in the loss parameters (agents.losses), so each frame adds its block of the
normal equations XᵀX, Xᵀy (agents.lstsq). Frames are split by time blocks, never at random:
train (first 60 %), validation (62–70 %, picks the ridge λ), a gap, test (last 25 %).

The design matrix X (numba kernels below): for pair p = (i, j) with dφ/dd slopes s[p, n] and
r̂_ij, let D_ij[a] = s[p, n] when feature a = (species of j, n), else 0. A loss parameter θ of
species A gives atom i the weights W_θ[i] (agents.losses.design_weights) and
c_ij(θ) = Σ_a W_θ[i, a] D_ij[a], so that
    F_i(θ) = Σ_j (c_ij(θ) + c_ji(θ)) r̂_ij       (conservative)
    F_i(θ) = Σ_j c_ij(θ) r̂_ij                   (agent: own loss only)
Angular invariants ψ (after the radial ones in the feature vector) add, per atom i and listed
neighbour m, the Jacobian block J = ∂ψ(i)/∂x_m: F_m(θ) -= W_θ[i]·J (m = i included; in agent
mode only m = i). Columns: species O parameters, then species H parameters, each
(c, upper triangle of C; `angular_terms = "linear"` keeps C's radial block only).
Molecule rows (`molecule_weight`, conservative mode): each training frame also adds its
molecules' net forces and torques, linear maps of the atom rows (`molecule_rows`).
"""

import numba
import numpy as np

from autoparticles.agents.losses import QuadraticLoss, parameter_count
from autoparticles.agents.lstsq import NormalEquations
from autoparticles.config import as_dict
from autoparticles.invariants.angular import AngularBasis, AngularInvariants
from autoparticles.invariants.radial import RadialBasis, RadialInvariants
from autoparticles.invariants.space import displacement
from autoparticles.molecular.agent import WaterModel, atom_invariants, basis_neighbour_list
from autoparticles.molecular.config import FitSettings, species_indices
from autoparticles.molecular.reference.dataset import ReferenceData
from autoparticles.molecular.units import AMU_A2_PER_FS2_TO_EV

SPLIT = {"train": (0.0, 0.60), "validation": (0.62, 0.70), "test": (0.75, 1.0)}
RIDGE_GRID = tuple(10.0 ** k for k in range(-10, 0))
RIDGE_TOLERANCE = 0.005
"""λ is the largest grid value whose validation force RMSE is within 0.5 % of the best one:
the smoothest loss the validation frames cannot tell apart from the most accurate (on the
shipped data this gives 1e-4, whose learned dynamics pass the validation table, where the
marginally more accurate 1e-5 diffuses 31 % too slowly)."""


def make_basis(kind: str, cutoff: float) -> RadialBasis:
    """The radial basis of FitSettings.basis: inverse powers or 16 Gaussians."""
    if kind == "inverse":
        return RadialBasis.inverse_powers(cutoff)
    return RadialBasis.gaussians(cutoff, count=16, start=0.8)


ANGULAR_BASIS = AngularBasis(centres=[1.0, 2.0], eta=1.5, lambdas=[1, -1, 1, -1],
                             zetas=[1, 1, 4, 4], cutoff=3.5)
"""Three-body invariants of `--invariants angular`: shells at 1 and 2 Å (the 1 Å × 2 Å pair
picks out O–H···O), λ = ±1, ζ ∈ {1, 4}, cutoff 3.5 Å (first O–O shell and the H···O bond)."""


def make_angular_basis(invariants: str) -> AngularBasis | None:
    return ANGULAR_BASIS if invariants == "angular" else None


def split_frames(n_frames: int, stride: int = 1) -> dict[str, np.ndarray]:
    """Frame indices of each time block."""
    return {name: np.arange(int(lo * n_frames), int(hi * n_frames), stride)
            for name, (lo, hi) in SPLIT.items()}


def target_forces(data: ReferenceData, from_positions: bool) -> np.ndarray:
    """(F, N, 3) [eV/Å]: the stored forces, or m·a with a from central differences of the
    positions (first and last frame repeat their neighbours' values)."""
    if not from_positions:
        if data.forces is None:
            raise ValueError("the dataset has no forces; fit from positions instead "
                             "(--from-positions: accelerations by finite differences)")
        return data.forces
    dt = np.diff(data.times)
    if not np.allclose(dt, dt[0]):
        raise ValueError("fitting from positions needs equally spaced frames")
    acc = np.empty_like(data.positions)
    acc[1:-1] = (data.positions[2:] - 2 * data.positions[1:-1] + data.positions[:-2]) / dt[0] ** 2
    acc[0], acc[-1] = acc[1], acc[-2]
    return acc * data.masses[None, :, None] * AMU_A2_PER_FS2_TO_EV


@numba.njit(cache=True, inline="always")
def _add_pair_terms(row, sign_unit, owner_species, phi_row, other_species, slope_p, nb,
                    n_features, n_params, tri_a, tri_b, out):
    """Add c(θ)·sign_unit to out[row:row+3, θ] for the loss of an atom of owner_species whose
    neighbour has other_species."""
    base = owner_species * n_params
    col0 = other_species * nb
    for n in range(nb):
        s = slope_p[n]
        for d in range(3):
            out[row + d, base + col0 + n] += s * sign_unit[d]
    for q in range(tri_a.shape[0]):
        a, b = tri_a[q], tri_b[q]
        value = 0.0
        if col0 <= a < col0 + nb:
            value += phi_row[b] * slope_p[a - col0]
        if a != b and col0 <= b < col0 + nb:
            value += phi_row[a] * slope_p[b - col0]
        if value != 0.0:
            for d in range(3):
                out[row + d, base + n_features + q] += value * sign_unit[d]


@numba.njit(cache=True)
def _design_kernel(indptr, indices, species, slope, unit, phi_centred, self_only, tri_a,
                   tri_b, n_params, out):
    nb = slope.shape[1]
    n_features = phi_centred.shape[1]
    r = np.empty(3)
    for i in range(indptr.shape[0] - 1):
        for p in range(indptr[i], indptr[i + 1]):
            j = indices[p]
            r[0], r[1], r[2] = unit[p, 0], unit[p, 1], unit[p, 2]
            _add_pair_terms(3 * i, r, species[i], phi_centred[i], species[j], slope[p], nb,
                            n_features, n_params, tri_a, tri_b, out)
            if not self_only:
                _add_pair_terms(3 * i, r, species[j], phi_centred[j], species[i], slope[p], nb,
                                n_features, n_params, tri_a, tri_b, out)


@numba.njit(cache=True, inline="always")
def _subtract_block(row, block, phi_row, base, f0, n_features, tri_a, tri_b, tri_q, out):
    """out[row:row+3, θ] -= W_θ·block for a (F_a, 3) Jacobian block of the features
    f0.. (tri_*: the quadratic parameters q = (a, b) with b >= f0)."""
    for a in range(block.shape[0]):
        for d in range(3):
            out[row + d, base + f0 + a] -= block[a, d]
    for t in range(tri_q.shape[0]):
        a, b, q = tri_a[t], tri_b[t], tri_q[t]
        for d in range(3):
            value = phi_row[a] * block[b - f0, d] if a != b else 0.0
            if a >= f0:
                value += phi_row[b] * block[a - f0, d]
            out[row + d, base + n_features + q] -= value


@numba.njit(cache=True)
def _angular_design_kernel(indptr, indices, species, jac, phi_centred, f0, self_only, tri_a,
                           tri_b, tri_q, n_params, out):
    own = np.empty(jac.shape[1:])
    for i in range(indptr.shape[0] - 1):
        base = species[i] * n_params
        own[:, :] = 0.0
        for p in range(indptr[i], indptr[i + 1]):
            own -= jac[p]
            if not self_only:
                _subtract_block(3 * indices[p], jac[p], phi_centred[i], base, f0,
                                phi_centred.shape[1], tri_a, tri_b, tri_q, out)
        _subtract_block(3 * i, own, phi_centred[i], base, f0, phi_centred.shape[1], tri_a,
                        tri_b, tri_q, out)


def force_design(inv: RadialInvariants, centres, self_only: bool,
                 angular: AngularInvariants | None = None) -> np.ndarray:
    """(3N, 2P) forces per unit parameter; rows (atom, xyz), P = parameters of one species.
    centres: per species (F,) means φ̄ the losses are centred on; features: the radial
    invariants, then the angular ones (if given)."""
    species = inv.species
    values = inv.values if angular is None else np.hstack([inv.values, angular.values])
    phi_centred = values - np.asarray(centres)[species]
    f, f0 = values.shape[1], inv.values.shape[1]
    tri_a, tri_b = (t.astype(np.int64) for t in np.triu_indices(f))
    n_params = parameter_count(f)
    out = np.zeros((3 * len(species), 2 * n_params))
    radial_q = np.flatnonzero(tri_a < f0)  # the leading run of q: a pair with a radial feature
    _design_kernel(inv.indptr, inv.indices, species, inv.slope, inv.unit, phi_centred,
                   self_only, tri_a[radial_q], tri_b[radial_q], n_params, out)
    if angular is not None:
        angular_q = np.flatnonzero(tri_b >= f0)
        _angular_design_kernel(angular.indptr, angular.indices, species, angular.jacobian,
                               phi_centred, f0, self_only, tri_a[angular_q], tri_b[angular_q],
                               angular_q, n_params, out)
    return out


def _frame_invariants(basis, angular, positions, species, nlist):
    nlist.update(positions)
    return atom_invariants(positions, species, nlist, basis, angular)


def kept_parameters(n_features: int, order: int, quadratic: int) -> np.ndarray:
    """Indices, in one species' (c, triu C) parameters, of those fitted: order 1 keeps c;
    order 2 keeps c and the entries of C between the first `quadratic` features."""
    if order == 1:
        return np.arange(n_features)
    a, b = np.triu_indices(n_features)
    return np.concatenate([np.arange(n_features), n_features + np.flatnonzero(b < quadratic)])


def _design_blocks(inv, species, centres, mode, keep):
    """{key: (atom mask, X)} of one frame's (radial, angular, values) invariants: one joint
    block (conservative) or one per species (agent: an atom's force depends only on its own
    species' parameters); keep: the fitted parameters of a species (kept_parameters)."""
    radial, angular, values = inv
    x = force_design(radial, centres, mode == "agent", angular)
    p = x.shape[1] // 2
    if mode != "agent":
        return {"joint": (slice(None), x[:, np.concatenate([keep, p + keep])])}
    return {s: (species == s, x[np.repeat(species == s, 3)][:, s * p + keep]) for s in range(2)}


def molecule_rows(positions: np.ndarray, species: np.ndarray, box) -> np.ndarray:
    """(6M, 3N) map from the atoms' force components to the M molecules' net forces (rows
    3m..3m+2) and torques about their O (rows 3M + 3m..): each H belongs to its nearest O."""
    oxygens = np.flatnonzero(species == 0)
    hydrogens = np.flatnonzero(species == 1)
    arm = displacement(positions[oxygens][None, :, :], positions[hydrogens][:, None, :], box)
    owner = np.argmin(np.linalg.norm(arm, axis=2), axis=1)
    arm = arm[np.arange(len(hydrogens)), owner]
    m = len(oxygens)
    rows = np.zeros((6 * m, 3 * len(species)))
    for d in range(3):
        rows[3 * np.arange(m) + d, 3 * oxygens + d] = 1.0
        rows[3 * owner + d, 3 * hydrogens + d] = 1.0
    torque = 3 * m + 3 * owner
    for d in range(3):   # τ_d = r_{d+1} F_{d+2} - r_{d+2} F_{d+1}
        e, f = (d + 1) % 3, (d + 2) % 3
        rows[torque + d, 3 * hydrogens + f] = arm[:, e]
        rows[torque + d, 3 * hydrogens + e] = -arm[:, f]
    return rows


def _expand(theta: np.ndarray, n_features: int, keep: np.ndarray) -> np.ndarray:
    """Full (c, triu C) parameters of one species from the fitted ones (the rest are 0)."""
    full = np.zeros(parameter_count(n_features))
    full[keep] = theta
    return full


def fit_model(data: ReferenceData, settings: FitSettings = FitSettings(),
              progress: bool = True) -> tuple[WaterModel, dict]:
    """Fit; returns the model and a report (split, λ scan, chosen λ)."""
    from tqdm.auto import tqdm

    if settings.cutoff >= 0.5 * data.box.min():
        raise ValueError(f"cutoff {settings.cutoff} Å must be below half the box ({0.5 * data.box.min():.3f} Å)")
    basis = make_basis(settings.basis, settings.cutoff)
    angular = make_angular_basis(settings.invariants)
    species = species_indices(data.numbers)
    targets = target_forces(data, settings.from_positions)
    frames = split_frames(data.n_frames, settings.frame_stride)
    if not all(len(part) for part in frames.values()):
        raise ValueError(f"{data.n_frames} frames at stride {settings.frame_stride} leave a part "
                         f"of the split {tuple(SPLIT)} empty; use more frames or a smaller stride")
    nlist = basis_neighbour_list(basis, data.box)
    phis = {}
    with tqdm(total=len(frames["train"]) + len(frames["validation"]), disable=not progress,
              unit="frame", desc="invariants") as bar:
        for part in ("train", "validation"):
            phis[part] = []
            for k in frames[part]:
                phis[part].append(_frame_invariants(basis, angular, data.positions[k], species,
                                                    nlist))
                bar.update()
    train_phi = np.concatenate([inv[2] for inv in phis["train"]])
    train_species = np.tile(species, len(phis["train"]))
    centres = [train_phi[train_species == s].mean(axis=0) for s in range(2)]
    bounds = np.array([[train_phi[train_species == s].min(axis=0),
                        train_phi[train_species == s].max(axis=0)] for s in range(2)])
    systems = {part: {} for part in phis}
    f = train_phi.shape[1]
    quadratic = f if settings.angular_terms == "quadratic" else 2 * basis.size  # the radial ones
    keep = kept_parameters(f, settings.order, quadratic)
    bar = tqdm(total=sum(len(v) for v in phis.values()), disable=not progress, unit="frame",
               desc="fitting frames")
    for part, invs in phis.items():
        for k, inv in zip(frames[part], invs):
            for key, (rows, x) in _design_blocks(inv, species, centres, settings.mode,
                                                 keep).items():
                y = targets[k][rows].ravel()
                if settings.molecule_rows_weight and part == "train":
                    # (conservative mode only, where rows is every atom; λ is chosen on the
                    # validation frames' atom forces alone)
                    w = settings.molecule_rows_weight * molecule_rows(data.positions[k], species, data.box)
                    x, y = np.vstack([x, w @ x]), np.concatenate([y, w @ y])
                systems[part].setdefault(key, NormalEquations()).add(x, y)
            bar.update()
    bar.close()
    grid = RIDGE_GRID if settings.ridge is None else (settings.ridge,)
    scales = [train_phi[train_species == s].std(axis=0) for s in range(2)]

    def solve(key, eq, lam):
        if not settings.convex or settings.order == 1:
            return eq.solve(lam)
        return eq.solve_psd(lam, scales if key == "joint" else [scales[key]], quadratic)

    solutions = {lam: {key: solve(key, eq, lam) for key, eq in systems["train"].items()}
                 for lam in tqdm(grid, disable=not progress, unit="λ", desc="ridge scan")}
    scan = {lam: sum(systems["validation"][key].rmse(theta) ** 2 for key, theta in found.items())
            for lam, found in solutions.items()}
    best = min(scan.values())
    ridge = max(lam for lam in grid if scan[lam] <= (1 + RIDGE_TOLERANCE) ** 2 * best)
    thetas = solutions[ridge]
    if "joint" in thetas:
        half = len(thetas["joint"]) // 2
        thetas = {0: thetas["joint"][:half], 1: thetas["joint"][half:]}
    losses = tuple(QuadraticLoss.from_parameters(_expand(thetas[s], f, keep), centres[s])
                   for s in range(2))
    model = WaterModel(basis, losses, settings.mode, bounds,
                       {"ridge": ridge, "fit": as_dict(settings),
                        "reference": {k: data.metadata.get(k) for k in ("model", "seed", "temperature_k")}},
                       angular)
    return model, {"ridge": ridge, "ridge_scan": scan, "frames": {k: len(v) for k, v in frames.items()}}
