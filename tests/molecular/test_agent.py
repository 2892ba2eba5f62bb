import numpy as np
import pytest

from autoparticles.agents.losses import QuadraticLoss, design_weights
from autoparticles.invariants.neighbours import NeighbourList
from autoparticles.invariants.radial import RadialBasis, contract_gradient, radial_invariants
from autoparticles.molecular.agent import WaterModel, load_model
from autoparticles.molecular.config import species_indices
from autoparticles.molecular.learn import force_design
from autoparticles.invariants import angular as three_body
from tests.molecular.conftest import SMALL_ANGULAR, make_random_model


def central_difference(func, x, h=1e-5):
    grad = np.zeros_like(x)
    for m in range(x.shape[0]):
        for d in range(3):
            up, down = x.copy(), x.copy()
            up[m, d] += h
            down[m, d] -= h
            grad[m, d] = (func(up) - func(down)) / (2 * h)
    return grad


@pytest.mark.parametrize("angular", [None, SMALL_ANGULAR])
def test_conservative_forces_are_minus_the_gradient_of_the_loss_sum(small_box, angular):
    x, numbers, box = small_box
    model = make_random_model("conservative", angular=angular)
    forces = model.forces(x, numbers, box)
    numeric = -central_difference(lambda y: model.losses(y, numbers, box).sum(), x)
    np.testing.assert_allclose(forces, numeric, atol=1e-6 * np.abs(forces).max())
    assert np.abs(forces.sum(axis=0)).max() < 1e-10  # Newton's third law


@pytest.mark.parametrize("angular", [None, SMALL_ANGULAR])
def test_agent_forces_descend_each_atoms_own_loss(small_box, angular):
    x, numbers, box = small_box
    model = make_random_model("agent", angular=angular)
    forces = model.forces(x, numbers, box)
    for k in (0, 1, 5):
        numeric = -central_difference(lambda y: model.losses(y, numbers, box)[k], x)[k]
        np.testing.assert_allclose(forces[k], numeric, atol=1e-6 * np.abs(forces).max())


def test_pair_potential_loss_gives_newtonian_forces(small_box):
    """H_A = Σ_j v_AB(d_kj) with v_AB = v_BA: each atom descending its own loss is Newton's law
    for the pair potential U = Σ_pairs v(d)."""
    x, numbers, box = small_box
    basis = RadialBasis.gaussians(cutoff=3.0, count=6, start=0.8)
    rng = np.random.default_rng(4)
    v = {k: rng.normal(size=6) for k in ("OO", "OH", "HH")}
    linear = (np.concatenate([v["OO"], v["OH"]]), np.concatenate([v["OH"], v["HH"]]))
    zero = np.zeros((12, 12))
    model = WaterModel(basis, tuple(QuadraticLoss(c, zero, np.zeros(12)) for c in linear), "agent")
    species = species_indices(numbers)

    def pair_energy(y):
        nl = NeighbourList(3.0, box, dim=3)
        nl.update(y)
        i, j = nl.pairs_within(y, 3.0)
        keep = i < j
        i, j = i[keep], j[keep]
        delta = y[j] - y[i]
        delta -= box * np.round(delta / box)
        d = np.linalg.norm(delta, axis=1)
        g = np.exp(-basis.eta * (d[:, None] - basis.centres) ** 2) * 0.5 * (np.cos(np.pi * d / 3.0) + 1)[:, None]
        key = np.array(["OO", "OH", "HH"])[species[i] + species[j]]
        return sum(g[p] @ v[key[p]] for p in range(len(d)))

    np.testing.assert_allclose(model.forces(x, numbers, box), -central_difference(pair_energy, x), atol=1e-6)


@pytest.mark.parametrize("self_only", [False, True])
@pytest.mark.parametrize("angular", [None, SMALL_ANGULAR])
def test_design_kernel_equals_brute_force_columns(small_box, self_only, angular):
    x, numbers, box = small_box
    basis = RadialBasis.gaussians(cutoff=3.0, count=4, start=0.8)
    species = species_indices(numbers)
    nl = NeighbourList(3.0, box, dim=3)
    nl.update(x)
    inv = radial_invariants(x, species, nl, basis)
    three = None if angular is None else three_body.angular_invariants(x, species, nl, angular)
    values = inv.values if three is None else np.hstack([inv.values, three.values])
    f0 = inv.values.shape[1]
    centres = [values[species == s].mean(axis=0) for s in range(2)]
    design = force_design(inv, centres, self_only, three)
    columns = []
    for s in range(2):
        rows = species == s
        for w in design_weights(values[rows] - centres[s]):
            full = np.zeros_like(values)
            full[rows] = w
            force = -contract_gradient(inv, full[:, :f0], self_only=self_only)
            if three is not None:
                force -= three_body.contract_gradient(three, full[:, f0:], self_only=self_only)
            columns.append(force.ravel())
    np.testing.assert_allclose(design, np.stack(columns, axis=1), atol=1e-12)


def test_save_load_and_bad_files(tmp_path, small_box):
    x, numbers, box = small_box
    model = make_random_model()
    path = model.save(tmp_path / "m.npz")
    again = load_model(path)
    np.testing.assert_allclose(again.forces(x, numbers, box), model.forces(x, numbers, box))
    three = make_random_model(angular=SMALL_ANGULAR)
    again = load_model(three.save(tmp_path / "angular.npz"))
    assert again.invariants == "angular" and again.angular.header() == three.angular.header()
    np.testing.assert_allclose(again.forces(x, numbers, box), three.forces(x, numbers, box))
    with pytest.raises(ValueError, match="'gaussian' basis, not 'inverse'"):
        load_model(path, basis="inverse")
    np.savez(tmp_path / "other.npz", header=np.array('{"format": "something", "version": 7}'))
    with pytest.raises(ValueError, match="something file of version 7"):
        load_model(tmp_path / "other.npz")
    with pytest.raises(ValueError, match="O and H only"):
        model.forces(x[:3], [8, 1, 6], box)
    with pytest.raises(ValueError, match="non-finite"):
        model.forces(np.full((3, 3), np.nan), [8, 1, 1], box)


def test_ase_calculator_drives_ase(small_box):
    ase = pytest.importorskip("ase")
    from ase.md.verlet import VelocityVerlet
    from ase import units

    x, numbers, box = small_box
    model = make_random_model()
    atoms = ase.Atoms(numbers=numbers, positions=x, cell=box, pbc=True)
    atoms.calc = model.as_ase_calculator()
    np.testing.assert_allclose(atoms.get_forces(), model.forces(x, numbers, box))
    assert atoms.get_potential_energy() == pytest.approx(model.losses(x, numbers, box).sum())
    start = atoms.get_total_energy()
    VelocityVerlet(atoms, 0.25 * units.fs).run(20)
    assert abs(atoms.get_total_energy() - start) < 1e-3


def test_damaged_model_files_are_refused_naming_the_file(tmp_path):
    model = make_random_model()
    arrays = dict(np.load(model.save(tmp_path / "m.npz")))
    np.savez(tmp_path / "part.npz", **{k: v for k, v in arrays.items() if k != "H_quadratic"})
    with pytest.raises(ValueError, match="part.npz is a damaged model file: H_quadratic"):
        load_model(tmp_path / "part.npz")
    np.savez(tmp_path / "nan.npz", **{**arrays, "O_linear": np.full_like(arrays["O_linear"], np.nan)})
    with pytest.raises(ValueError, match="nan.npz is a damaged model file: it holds NaN"):
        load_model(tmp_path / "nan.npz")
