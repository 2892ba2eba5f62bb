"""Covariant gradient descent (Guskov & Vanchurin, arXiv 2504.05279) as a torch optimiser.

Per parameter tensor q (P numbers) with gradient g (P,) the update is

    Δq = −lr (G^α + ε)⁻¹ F,

force F the gradient or its first moment m = ⟨g⟩, metric G the second moment ⟨g gᵀ⟩
(uncentred) or the covariance ⟨(g − m)(g − m)ᵀ⟩ (centred), ⟨·⟩ exponential averages
x ← β x + (1 − β) new with β = τ/(1 + τ) (τ the averaging time in steps), optionally divided
by 1 − βᵗ (bias correction). Diagonal: G keeps only its diagonal (P,), and G^α, ε act
elementwise. Full: G is (P, P) per tensor, G^α = U diag(λ^α) Uᵀ from its eigendecomposition
(λ clipped at 0) and ε is ε·I; that costs O(P²) memory and O(P³) time per step, so a tensor
of more than `max_full` numbers is refused. `refresh = k` recomputes the eigendecomposition
only every k steps; in between the metric is taken diagonal in the last eigenbasis U, its
diagonal uᵢᵀ G uᵢ kept exactly by O(P²) updates (as SOAP does for Shampoo), so directions
seen since the last decomposition still get their own variance. That is about k times
cheaper, and covariant up to one thing: inside a degenerate eigenspace (the directions no
gradient has visited yet, early on) the eigenbasis is arbitrary. k = 1, the default, is the
exact update. α = 0 makes G^α the identity (momentum SGD; no
metric is kept). Under a rotation q → Rᵀq of a tensor's parameters the full update rotates
with it (covariant); the diagonal one does not.

Presets set the limits the paper names, with the defaults of torch's optimiser of that name:

| preset | force | metric | α | β₁, β₂ | ε | bias corr. | lr |
|---|---|---|---|---|---|---|---|
| sgd | gradient | none (α = 0) | 0 | – | 0 | – | 1e-3 |
| rmsprop | gradient | uncentred | ½ | –, 0.99 | 1e-8 | no | 1e-2 |
| adam | moment | uncentred | ½ | 0.9, 0.999 | 1e-8 | yes | 1e-3 |
| adabelief | moment | centred | ½ | 0.9, 0.999 | 1e-16 | yes | 1e-3 |

AdaBelief (Zhuang et al. 2020, Algorithm 2, as read here): s ← β₂ s + (1 − β₂)(g − m)² + ε
with m already updated, ŝ = s/(1 − β₂ᵗ), Δq = −lr m̂/(√ŝ + ε): ε both inside (added to the
average every step, `eps_inside`) and outside; its PyTorch package's default ε = 1e-16 (torch
has no AdaBelief). Options given with a preset override it.
"""

import torch

DEFAULTS = {"lr": 1e-3, "force": "moment", "centred": True, "full": False, "alpha": 0.5,
            "betas": (0.9, 0.999), "eps": 1e-8, "eps_inside": 0.0, "bias_correction": True,
            "max_full": 2048, "refresh": 1}
"""Options without a preset: diagonal CGD with the covariance metric (τ₁ = 9, τ₂ = 999)."""
PRESETS = {
    "sgd": {"force": "gradient", "alpha": 0.0, "eps": 0.0},
    "rmsprop": {"lr": 1e-2, "force": "gradient", "centred": False, "betas": (0.0, 0.99),
                "bias_correction": False},
    "adam": {"centred": False},
    "adabelief": {"eps": 1e-16, "eps_inside": 1e-16},
}


def beta(tau: float) -> float:
    """Averaging weight of the old value for an averaging time of `tau` steps."""
    return tau / (1.0 + tau)


def check_options(options: dict) -> None:
    """ValueError naming the first bad option of a resolved option dict."""
    problems = {
        "lr": not options["lr"] >= 0, "alpha": not 0 <= options["alpha"] <= 1,
        "force": options["force"] not in ("moment", "gradient"),
        "betas": not all(0 <= b < 1 for b in options["betas"]) or len(options["betas"]) != 2,
        "eps": not options["eps"] >= 0, "eps_inside": not options["eps_inside"] >= 0,
        "max_full": not options["max_full"] >= 1,
        "refresh": not (isinstance(options["refresh"], int) and options["refresh"] >= 1),
    }
    for name, bad in problems.items():
        if bad:
            allowed = {"force": "'moment' or 'gradient'", "alpha": "in [0, 1]",
                       "betas": "two numbers in [0, 1)", "max_full": "at least 1",
                       "refresh": "a whole number ≥ 1"}
            raise ValueError(f"CGD option {name} must be {allowed.get(name, 'non-negative')}, "
                             f"got {options[name]!r}")


class CGD(torch.optim.Optimizer):
    """Covariant gradient descent; see the module text for the update and the presets.

    Options: `force` 'moment' | 'gradient'; `centred` (covariance, else second moment);
    `full` (a (P, P) metric per tensor, else diagonal); `alpha` ∈ [0, 1]; averaging times
    `tau1`, `tau2` in steps (β = τ/(1 + τ)) or `betas=(β₁, β₂)` as torch's optimisers take
    them, not both; `eps` (added to G^α), `eps_inside` (added to the metric's average every
    step); `bias_correction`; `max_full`, the largest tensor (in numbers) a full metric
    takes; `refresh`, steps between eigendecompositions of a full metric."""

    def __init__(self, params, lr: float | None = None, preset: str | None = None, *,
                 tau1: float | None = None, tau2: float | None = None, **options):
        if preset is not None and preset not in PRESETS:
            raise ValueError(f"CGD option preset must be one of {', '.join(PRESETS)}, "
                             f"got {preset!r}")
        unknown = sorted(set(options) - set(DEFAULTS))
        if unknown:
            raise ValueError(f"unknown CGD option(s) {', '.join(unknown)} "
                             f"(known: {', '.join(DEFAULTS)}, tau1, tau2, preset)")
        resolved = {**DEFAULTS, **PRESETS.get(preset, {}), **options}
        if lr is not None:
            resolved["lr"] = lr
        if tau1 is not None or tau2 is not None:
            if "betas" in options:
                raise ValueError("CGD takes betas or tau1/tau2, not both")
            old = resolved["betas"]
            resolved["betas"] = (old[0] if tau1 is None else beta(tau1),
                                 old[1] if tau2 is None else beta(tau2))
        resolved["betas"] = tuple(resolved["betas"])
        super().__init__(params, resolved)

    def add_param_group(self, param_group: dict) -> None:
        super().add_param_group(param_group)
        group = self.param_groups[-1]
        check_options(group)
        if group["full"] and group["alpha"] > 0:
            for index, p in enumerate(group["params"]):
                if p.numel() > group["max_full"]:
                    raise ValueError(
                        f"full CGD metric of parameter {index} of group "
                        f"{len(self.param_groups) - 1} (shape {tuple(p.shape)}, {p.numel()} "
                        f"numbers) would be a {p.numel()}×{p.numel()} matrix, above "
                        f"max_full={group['max_full']}; use full=False or a larger max_full")

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    p.add_(self._direction(group, self.state[p], p.grad.reshape(-1))
                           .view_as(p), alpha=-group["lr"])
        return loss

    def _direction(self, group: dict, state: dict, g: torch.Tensor) -> torch.Tensor:
        """(G^α + ε)⁻¹ F for one tensor's flat gradient g (P,); updates its averages."""
        beta1, beta2 = group["betas"]
        state["step"] = t = state.get("step", 0) + 1
        keeps_mean = group["force"] == "moment" or (group["centred"] and group["alpha"] > 0)
        if keeps_mean:
            mean = state.setdefault("mean", torch.zeros_like(g))
            mean.lerp_(g, 1 - beta1)
        force = g
        if group["force"] == "moment":
            force = mean / (1 - beta1 ** t) if group["bias_correction"] else mean
        if group["alpha"] == 0:
            return force / (1 + group["eps"])
        spread = g - mean if group["centred"] else g
        if group["full"]:
            metric = state.setdefault("metric", g.new_zeros(len(g), len(g)))
            metric.mul_(beta2).add_(torch.outer(spread, spread), alpha=1 - beta2)
            metric.diagonal().add_(group["eps_inside"])
        else:
            metric = state.setdefault("metric", torch.zeros_like(g))
            metric.mul_(beta2).addcmul_(spread, spread, value=1 - beta2).add_(group["eps_inside"])
        scale = 1 - beta2 ** t if group["bias_correction"] else 1.0
        if not group["full"]:
            return force / ((metric / scale).pow(group["alpha"]) + group["eps"])
        if (t - 1) % group["refresh"] == 0:
            state["diagonal"], state["vectors"] = torch.linalg.eigh(metric)
        else:  # the metric's diagonal in the last eigenbasis U, kept by O(P²) updates
            state["diagonal"].mul_(beta2).add_((state["vectors"].T @ spread) ** 2,
                                               alpha=1 - beta2).add_(group["eps_inside"])
        vectors = state["vectors"]
        root = (state["diagonal"] / scale).clamp(min=0).pow(group["alpha"]) + group["eps"]
        return vectors @ ((vectors.T @ force) / root)
