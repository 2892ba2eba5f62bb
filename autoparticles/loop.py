"""The run loop of any particle world with `percept()` and `step(actions)`, and its observers
in the style of ASE's `dyn.attach(fn, interval)`: metrics, writers, logs, checks and progress
bars are attached to the loop instead of being branches inside it."""

from typing import Callable


class Observers:
    """attach(fn, interval) and, after each step, notify(step, *args): fn(*args) runs on every
    `interval`-th step (steps count from 1)."""

    def __init__(self):
        self._attached: list[tuple[Callable, int]] = []

    def attach(self, fn: Callable, interval: int = 1) -> Callable:
        if int(interval) < 1:
            raise ValueError(f"interval must be a positive number of steps, got {interval}")
        self._attached.append((fn, int(interval)))
        return fn

    def notify(self, step: int, *args) -> None:
        for fn, interval in self._attached:
            if step % interval == 0:
                fn(*args)


class Run:
    """Each step, `policy(world.percept())` gives the actions, the world steps, and every
    observer attached with `attach(fn, interval)` gets fn(info) on each interval-th step."""

    def __init__(self, world, policy: Callable):
        self.world, self.policy = world, policy
        self.steps = 0
        self._observers = Observers()

    def attach(self, fn: Callable, interval: int = 1) -> Callable:
        """Call fn(info) after every `interval`-th step; returns fn."""
        return self._observers.attach(fn, interval)

    def step(self):
        """One step; returns the world's (observations, rewards, info)."""
        result = self.world.step(self.policy(self.world.percept()))
        self.steps += 1
        self._observers.notify(self.steps, result[2])
        return result

    def run(self, steps: int) -> "Run":
        for _ in range(steps):
            self.step()
        return self
