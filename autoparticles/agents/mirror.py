"""A PPO policy that is equivariant under a reflection of the world.

A particle that sees only rotation invariants can still be chiral: the invariants carry
signs (a cross product r × u, the sine of an angle), and a network is free to push one way
more than the other, e.g. always a little to its left. Physics has no preferred hand. Under
a reflection the sign-carrying observation columns change sign and so do the action
components across the frame; `MirrorPolicy` averages the network over an observation and
its mirror image, so its mean action obeys π(M o) = M π(o) and its value V(M o) = V(o)
exactly. Which columns flip is the particle system's to say (`odd_observations`,
`odd_actions`).
"""

import torch as th
from stable_baselines3.common.distributions import DiagGaussianDistribution
from stable_baselines3.common.policies import ActorCriticPolicy


class MirrorPolicy(ActorCriticPolicy):
    """ActorCriticPolicy whose Gaussian mean is the reflection average ½(μ(o) + M μ(M o)) and
    whose value is ½(V(o) + V(M o)); M negates the `odd_observations` columns of an
    observation and the `odd_actions` components of an action. Action spaces: Box only."""

    def __init__(self, observation_space, action_space, lr_schedule, *args,
                 odd_observations=(), odd_actions=(), **kwargs):
        super().__init__(observation_space, action_space, lr_schedule, *args, **kwargs)
        if not isinstance(self.action_dist, DiagGaussianDistribution):
            raise ValueError("MirrorPolicy needs a Box action space (Gaussian actions)")
        self.odd_observations, self.odd_actions = list(odd_observations), list(odd_actions)
        self.register_buffer("observation_signs", self._signs(observation_space, odd_observations))
        self.register_buffer("action_signs", self._signs(action_space, odd_actions))

    @staticmethod
    def _signs(space, odd) -> th.Tensor:
        signs = th.ones(space.shape[0])
        signs[list(odd)] = -1.0
        return signs

    def _get_constructor_parameters(self) -> dict:
        return {**super()._get_constructor_parameters(),
                "odd_observations": self.odd_observations, "odd_actions": self.odd_actions}

    def _mean_and_value(self, obs: th.Tensor) -> tuple[th.Tensor, th.Tensor]:
        """(mean actions (N, A), values (N, 1)), each averaged over obs and its mirror."""
        obs = obs.float()
        both = th.cat([obs, obs * self.observation_signs])
        features = self.extract_features(both)
        if self.share_features_extractor:
            latent_pi, latent_vf = self.mlp_extractor(features)
        else:
            latent_pi = self.mlp_extractor.forward_actor(features[0])
            latent_vf = self.mlp_extractor.forward_critic(features[1])
        n = obs.shape[0]
        mean, value = self.action_net(latent_pi), self.value_net(latent_vf)
        return (0.5 * (mean[:n] + mean[n:] * self.action_signs),
                0.5 * (value[:n] + value[n:]))

    def _distribution(self, mean: th.Tensor):
        return self.action_dist.proba_distribution(mean, self.log_std)

    def forward(self, obs, deterministic: bool = False):
        mean, values = self._mean_and_value(obs)
        distribution = self._distribution(mean)
        actions = distribution.get_actions(deterministic=deterministic)
        log_prob = distribution.log_prob(actions)
        return actions.reshape((-1, *self.action_space.shape)), values, log_prob

    def evaluate_actions(self, obs, actions):
        mean, values = self._mean_and_value(obs)
        distribution = self._distribution(mean)
        return values, distribution.log_prob(actions), distribution.entropy()

    def get_distribution(self, obs):
        return self._distribution(self._mean_and_value(obs)[0])

    def predict_values(self, obs):
        return self._mean_and_value(obs)[1]
