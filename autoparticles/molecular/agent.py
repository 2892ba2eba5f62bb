"""What each atom minimises: one quadratic loss per species of its invariants (radial, or
radial followed by angular three-body ones), the forces that follow, and the model file.

Modes (specs/water.md): `conservative` (default): E = Σ_i H_{A_i}(φ(i)), F = -∂E/∂x;
`agent`: each atom descends only its own loss, F_k = -∂H_{A_k}(φ(k))/∂x_k.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from autoparticles.agents.losses import QuadraticLoss
from autoparticles.invariants import angular as three_body
from autoparticles.invariants.angular import AngularBasis, AngularInvariants, angular_invariants
from autoparticles.invariants.neighbours import NeighbourList
from autoparticles.invariants.radial import (
    RadialBasis,
    RadialInvariants,
    contract_gradient,
    radial_invariants,
)
from autoparticles.molecular.config import MODES, SPECIES_NAMES, species_indices
from autoparticles.molecular.io import atomic_savez, read_npz

MODEL_FORMAT = "autoparticles-water-model"
MODEL_VERSION = 1


def basis_neighbour_list(basis: RadialBasis, box) -> NeighbourList:
    """3-D list for the basis cutoff with a 1 Å skin."""
    return NeighbourList(basis.cutoff, box, skin=1.0, dim=3)


def atom_invariants(positions, species, nlist: NeighbourList, basis: RadialBasis,
                    angular: AngularBasis | None, both_sides: bool = True
                    ) -> tuple[RadialInvariants, AngularInvariants | None, np.ndarray]:
    """(radial, angular or None, values (N, F)): the features the losses read, radial first;
    both_sides=False: only what `contract_gradient` needs for forces (radial slopes of the
    pairs inside the cutoff, no angular blocks: their gradient is computed when asked)."""
    radial = radial_invariants(positions, species, nlist, basis, both_sides=both_sides)
    if angular is None:
        return radial, None, radial.values
    three = angular_invariants(positions, species, nlist, angular, jacobian=both_sides)
    return radial, three, np.hstack([radial.values, three.values])


@dataclass(frozen=True)
class WaterModel:
    """basis: the radial basis; species_losses: (O loss, H loss); mode: 'conservative' or
    'agent'; bounds: (2, 2, F) per-species min/max of φ seen in the training data; angular:
    the angular basis (None: radial invariants only)."""

    basis: RadialBasis
    species_losses: tuple[QuadraticLoss, QuadraticLoss]
    mode: str = "conservative"
    bounds: np.ndarray | None = None
    metadata: dict = field(default_factory=dict)
    angular: AngularBasis | None = None

    def __post_init__(self):
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {self.mode!r}")
        if any(loss.n_features != self.n_features for loss in self.species_losses):
            raise ValueError("loss size does not match the basis")

    @property
    def n_features(self) -> int:
        return 2 * self.basis.size + (0 if self.angular is None else self.angular.n_features())

    @property
    def invariants(self) -> str:
        return "radial" if self.angular is None else "angular"

    def new_neighbour_list(self, box) -> NeighbourList:
        return basis_neighbour_list(self.basis, box)

    def evaluate(self, positions, species, nlist: NeighbourList):
        """(losses (N,), forces (N, 3) [eV/Å], invariants (N, F)); nlist is updated here."""
        nlist.update(positions)
        radial, angular, values = atom_invariants(positions, species, nlist, self.basis,
                                                  self.angular, both_sides=False)
        weights = np.empty_like(values)
        losses = np.empty(len(species))
        for s, loss in enumerate(self.species_losses):
            rows = species == s
            losses[rows], weights[rows] = loss.value_and_gradient(values[rows])
        self_only = self.mode == "agent"
        f0 = radial.values.shape[1]
        forces = -contract_gradient(radial, weights[:, :f0], self_only=self_only)
        if angular is not None:
            forces -= three_body.contract_gradient(angular, weights[:, f0:], self_only=self_only)
        return losses, forces, values

    def forces(self, positions, numbers, box) -> np.ndarray:
        """(N, 3) [eV/Å] for positions (N, 3) [Å], atomic numbers (N,), box (3,) [Å]."""
        return self.evaluate(np.asarray(positions, float), species_indices(numbers),
                             self.new_neighbour_list(box))[1]

    def losses(self, positions, numbers, box) -> np.ndarray:
        """(N,) each atom's loss H_A(φ(k)) [eV]."""
        return self.evaluate(np.asarray(positions, float), species_indices(numbers),
                             self.new_neighbour_list(box))[0]

    def as_ase_calculator(self):
        from autoparticles.molecular.ase_calculator import WaterModelCalculator

        return WaterModelCalculator(self)

    def save(self, path) -> Path:
        arrays = {
            "basis_centres": self.basis.centres,
            "header": np.array(json.dumps({
                "format": MODEL_FORMAT, "version": MODEL_VERSION, "mode": self.mode,
                "basis": self.basis.kind, "cutoff": self.basis.cutoff, "eta": self.basis.eta,
                "invariants": self.invariants,
                "angular": None if self.angular is None else self.angular.header(),
                "metadata": self.metadata})),
        }
        for name, loss in zip(SPECIES_NAMES, self.species_losses):
            arrays[f"{name}_linear"], arrays[f"{name}_quadratic"] = loss.linear, loss.quadratic
            arrays[f"{name}_centre"] = loss.centre
        if self.bounds is not None:
            arrays["bounds"] = self.bounds
        return atomic_savez(Path(path), arrays)


SHIPPED_MODELS = {"default": "water_model_refined.npz", "refined": "water_model_refined.npz",
                  "pair": "water_model.npz", "angular": "water_model_angular.npz",
                  "blend": "water_model_blend.npz"}
"""Models shipped with the package, by name (`--model angular`), all fitted on the shipped
300 K data: `pair` (`water fit`, its defaults), `angular` (`water fit --invariants angular
--ridge 1e-3 --molecule-weight 0`), `blend`, the two half and half (`water blend pair
angular`), and `refined` or `default`, the blend's pair terms refined against the data's RDFs
(`water refine blend`)."""
DEFAULT_MODEL_STORY = (
    "The shipped default: the pair model and the angular (three-body) model, half each "
    "(`water blend pair angular`), its pair terms then refined until its RDFs match CP2K's "
    "(`water refine blend`: iterative Boltzmann inversion, 1-2 meV per pair).")


def shipped_model_path(name: str = "default") -> Path:
    from importlib import resources

    return Path(str(resources.files("autoparticles") / "data" / SHIPPED_MODELS[name]))


def load_model(path=None, basis: str | None = None) -> WaterModel:
    """Read a model file: the shipped default (path None), a shipped model by its name in
    SHIPPED_MODELS, or the file at `path`; refuses files of another format or version (or
    `basis`, if given). Files without an 'invariants' entry are radial."""
    if path is None or str(path) in SHIPPED_MODELS:
        path = shipped_model_path("default" if path is None else str(path))
    path = Path(path)
    arrays = read_npz(path, "model file")
    try:
        header = json.loads(str(arrays["header"]))
    except (ValueError, KeyError) as error:
        raise ValueError(f"{path} is not a water model file: {error}") from None
    if header.get("format") != MODEL_FORMAT or header.get("version") != MODEL_VERSION:
        raise ValueError(f"{path} is a {header.get('format')} file of version "
                         f"{header.get('version')}; this build reads {MODEL_FORMAT} v{MODEL_VERSION}")
    if basis is not None and header["basis"] != basis:
        raise ValueError(f"{path} uses the {header['basis']!r} basis, not {basis!r}")
    try:
        rb = RadialBasis(header["basis"], arrays["basis_centres"], header["cutoff"], header["eta"])
        losses = tuple(QuadraticLoss(arrays[f"{n}_linear"], arrays[f"{n}_quadratic"],
                                     arrays[f"{n}_centre"]) for n in SPECIES_NAMES)
        angular = header.get("angular")
        model = WaterModel(rb, losses, header["mode"], arrays.get("bounds"), header["metadata"],
                           None if angular is None else AngularBasis.from_header(angular))
    except KeyError as error:
        raise ValueError(f"{path} is a damaged model file: {error.args[0]} is missing") from None
    except (TypeError, ValueError) as error:
        raise ValueError(f"{path} is a damaged model file: {error}") from None
    if not all(np.all(np.isfinite(a)) for a in arrays.values() if a.dtype.kind == "f"):
        raise ValueError(f"{path} is a damaged model file: it holds NaN or infinite values")
    return model


def invariant_names(basis: RadialBasis, angular: AngularBasis | None = None) -> list[str]:
    """A label per feature of the losses, radial then angular."""
    label = "1/d^{:g}" if basis.kind == "inverse" else "G({:.2f} Å)"
    names = [f"{nb}:{label.format(c)}" for nb in SPECIES_NAMES for c in basis.centres]
    if angular is None:
        return names
    shells = [f"{angular.centres[a]:.1f},{angular.centres[b]:.1f} Å" for a, b in zip(*angular.shells)]
    return names + [f"{jk}:(1{lam:+g}cos)^{zeta:g} G({shell})" for jk in ("OO", "OH", "HH")
                    for lam, zeta in zip(angular.lambdas, angular.zetas) for shell in shells]
