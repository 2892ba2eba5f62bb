"""An ASE calculator for a fitted water model, so ASE's own integrators can run it."""

from ase.calculators.calculator import Calculator, all_changes

from autoparticles.molecular.config import species_indices


class WaterModelCalculator(Calculator):
    """Energy = Σ_i H_{A_i}(φ(i)) [eV]; forces [eV/Å] in the model's mode."""

    implemented_properties = ["energy", "energies", "forces"]

    def __init__(self, model, **kwargs):
        super().__init__(**kwargs)
        self.model = model
        self._nlist = None

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        box = atoms.cell.lengths()
        if self._nlist is None or "cell" in system_changes or "numbers" in system_changes:
            self._nlist = self.model.new_neighbour_list(box)
        losses, forces, _ = self.model.evaluate(atoms.positions, species_indices(atoms.numbers),
                                                self._nlist)
        self.results = {"energy": float(losses.sum()), "energies": losses, "forces": forces}
