"""What the oscillator network is and how it is trained and sampled (specs/oscillators.md):
three settings dataclasses, every switch with its default. Units: γ = k_B T = 1, time in
units of the bath's relaxation time."""

from dataclasses import dataclass

from autoparticles.config import (ConfigError, Settings, at_least, non_negative, one_of,
                                  positive, setting, within)

TARGETS = ("gaussian", "two-gaussians", "digits")
GRAPHS = ("auto", "chain", "grid", "complete")
BASES = ("bins", "hat")
SPACINGS = ("uniform", "quadratic")
WEIGHTINGS = ("variance", "none")


@dataclass(frozen=True)
class ProtocolSettings(Settings):
    """The driven network: its graph and the time dependence of its parameters."""

    graph: str = setting("auto", one_of(*GRAPHS),
                        "bonds: a chain, a square grid, every pair (complete), or auto "
                        "(grid for images)")
    time_bins: int = setting(30, positive, "number K of time bins (or hat-function intervals)")
    basis: str = setting("bins", one_of(*BASES),
                         "bins: piecewise constant; hat: piecewise linear in t")
    spacing: str = setting("quadratic", one_of(*SPACINGS),
                           "bin edges uniform in t, or t_min + (t_f - t_min) (k/K)^2")
    t_final: float = setting(3.0, positive, "end of the forward (noising) process")
    t_min: float = setting(0.002, positive, "the reverse process stops here (t -> 0)")
    quartic: bool = setting(True, doc="learn the quartic b_i x^4/4 terms (else b = 0)")

    def __post_init__(self):
        super().__post_init__()
        if self.t_min >= self.t_final:
            raise ConfigError(f"t_min = {self.t_min} must be below t_final = {self.t_final}")


@dataclass(frozen=True)
class TrainSettings(Settings):
    """The local force-matching rule, with per-coefficient optimiser steps."""

    target: str = setting("two-gaussians", one_of(*TARGETS))
    steps: int = setting(20_000, positive, "updates of the protocol")
    batch: int = setting(1024, positive, "(x0, t, x_t) triples per update")
    optimizer: str = setting("adam", one_of("adam", "cgd-diag"),
                             "per-coefficient steps: Adam, or diagonal covariant gradient "
                             "descent (agents.optim.CGD; a full metric would not be local)")
    cgd_alpha: float = setting(0.5, within(0, 1), "exponent α of the CGD metric")
    learning_rate: float = setting(0.02, positive, "step size at the start")
    final_learning_rate: float = setting(0.0005, positive, "step size at the end (geometric)")
    rule: str = setting("forces", one_of("forces", "paths"),
                        "forces: force matching on F*; paths: no target forces, the reverse "
                        "increments of observed forward paths (Onsager-Machlup)")
    path_dt: float = setting(0.01, positive, "paths: time step Δ of the observed increments")
    weighting: str = setting("variance", one_of(*WEIGHTINGS),
                             "lambda(t): variance = 1 - exp(-2t), or none = 1")
    principal_axes: bool = setting(True, doc="two-gaussians: oscillators hold the principal-axis "
                                   "coordinates (else x1, x2)")
    hidden: int = setting(16, non_negative, "digits: hidden oscillators holding the images' "
                          "first principal components, each bonded to every pixel (0: none)")
    seed: int = setting(0, non_negative)
    checkpoint_every: int = setting(2000, positive, "updates between checkpoints")


@dataclass(frozen=True)
class SampleSettings(Settings):
    """The reverse process: Euler-Maruyama from x ~ N(0, I) at t_final down to t_min."""

    reverse_steps: int = setting(600, at_least(2), "Euler-Maruyama steps, spaced like the bins")
    seed: int = setting(0, non_negative)
