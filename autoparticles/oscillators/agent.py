"""What each oscillator does: its protocol, the time-dependent parameters a_i(t), b_i(t),
h_i(t) of every oscillator and J_ij(t) of every bond, as coefficients of a time basis
(piecewise-constant bins or piecewise-linear hat functions), and the model file."""

import json
from dataclasses import dataclass, field

import numpy as np

from autoparticles.files import atomic_write
from autoparticles.oscillators.config import ProtocolSettings
from autoparticles.oscillators.targets import Target, load_target
from autoparticles.oscillators.world import ReverseProcess, drift, time_edges

PARAMETERS = ("a", "b", "h", "J")
"""a, b, h: (C, N) per oscillator; J: (C, E) per bond; C coefficients in time."""


@dataclass
class Protocol:
    """edges: (K + 1,) times of the bins or of the hat functions' knots; basis: "bins" (C =
    K coefficients) or "hat" (C = K + 1); bonds: (E, 2); params: name -> coefficients;
    quartic: whether b is learned; meta: what the model was trained on (target, units)."""

    edges: np.ndarray
    basis: str
    bonds: np.ndarray
    params: dict
    quartic: bool = True
    spacing: str = "quadratic"
    meta: dict = field(default_factory=dict)

    @classmethod
    def untrained(cls, settings: ProtocolSettings, size: int, bonds: np.ndarray, **meta):
        """The bath at rest in a unit harmonic trap (a = 1, the rest 0): it keeps N(0, I).
        size: oscillators N; bonds: (E, 2)."""
        edges = time_edges(settings.spacing, settings.t_min, settings.t_final, settings.time_bins)
        count = settings.time_bins + (settings.basis == "hat")
        params = {name: np.full((count, len(bonds) if name == "J" else size), float(name == "a"))
                  for name in PARAMETERS}
        return cls(edges, settings.basis, np.asarray(bonds, dtype=np.int64), params,
                   settings.quartic, settings.spacing, meta)

    def resting(self) -> "Protocol":
        """The same network with the drive off: a = 1, b = h = J = 0 (keeps N(0, I))."""
        params = {k: np.full_like(v, float(k == "a")) for k, v in self.params.items()}
        return Protocol(self.edges, self.basis, self.bonds, params, self.quartic, self.spacing,
                        self.meta)

    @property
    def size(self) -> int:
        return self.params["a"].shape[1]

    @property
    def t_min(self) -> float:
        return float(self.edges[0])

    @property
    def t_final(self) -> float:
        return float(self.edges[-1])

    def weights(self, t) -> np.ndarray:
        """(B, C) basis functions at the times t (B,); each row sums to 1."""
        t = np.clip(np.asarray(t, dtype=np.float64), self.edges[0], self.edges[-1])
        k = np.clip(np.searchsorted(self.edges, t, side="right") - 1, 0, len(self.edges) - 2)
        rows = np.arange(len(t))
        if self.basis == "bins":
            out = np.zeros((len(t), len(self.edges) - 1))
            out[rows, k] = 1.0
            return out
        u = (t - self.edges[k]) / (self.edges[k + 1] - self.edges[k])
        out = np.zeros((len(t), len(self.edges)))
        out[rows, k], out[rows, k + 1] = 1.0 - u, u
        return out

    def at(self, t: float) -> tuple:
        """(a, b, h, J) at one time t: (N,), (N,), (N,), (E,)."""
        w = self.weights([t])[0]
        return tuple(np.ascontiguousarray(w @ self.params[name]) for name in PARAMETERS)

    def forces(self, x: np.ndarray, t: np.ndarray) -> np.ndarray:
        """(B, N) driven force on states x (B, N) at times t (B,)."""
        w = self.weights(t)
        a, b, h, J = (w @ self.params[name] for name in PARAMETERS)
        return drift(x, a, b, h, J, self.bonds)

    def save(self, path) -> None:
        """A .npz of the coefficients, the time basis, the bonds and `meta` (as JSON)."""
        arrays = {**self.params, "edges": self.edges, "bonds": self.bonds}
        header = json.dumps({"basis": self.basis, "quartic": self.quartic,
                             "spacing": self.spacing, "meta": self.meta})
        atomic_write(path, lambda tmp: np.savez(tmp, header=np.array(header), **arrays))


def load_protocol(path) -> Protocol:
    """A protocol saved by `Protocol.save`."""
    try:
        with np.load(path) as data:
            header = json.loads(str(data["header"]))
            params = {name: data[name] for name in PARAMETERS}
            edges, bonds = data["edges"], data["bonds"]
    except (KeyError, ValueError) as error:
        raise ValueError(f"{path} is not an oscillator model ({error})") from None
    return Protocol(edges, header["basis"], bonds, params, header["quartic"], header["spacing"],
                    header["meta"])


def protocol_target(protocol: Protocol) -> Target:
    """The target a protocol was trained on, in the units it was trained in."""
    train = protocol.meta["train"]
    return load_target(protocol.meta["target"], train["principal_axes"], train.get("hidden", 0))


def sample(protocol: Protocol, n: int, steps: int = 600, seed: int = 0) -> np.ndarray:
    """(n, d) samples of the reverse process at t_min, in the target's units."""
    return protocol_target(protocol).to_target(ReverseProcess(protocol, n, steps, seed).run().x)
