"""pygame frames of a 3-D water box: perspective projection with a turning view."""

import numpy as np

from autoparticles.render.canvas import Canvas

OXYGEN = (220, 40, 40)
HYDROGEN = (240, 240, 240)
BOND = (150, 150, 160)
EDGE = (90, 90, 120)
BOND_LENGTH = 1.25
"""O–H pairs closer than this [Å] are drawn as bonds."""


def rotation(yaw: float, pitch: float) -> np.ndarray:
    """View rotation: `yaw` about the vertical axis, then `pitch` about the horizontal one."""
    cy, sy, cp, sp = np.cos(yaw), np.sin(yaw), np.cos(pitch), np.sin(pitch)
    turn = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    tilt = np.array([[1, 0, 0], [0, cp, -sp], [0, sp, cp]])
    return tilt @ turn


def wrap_molecules(positions, numbers, box) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Whole molecules in the box: (N, 3) positions [Å] with every O wrapped into the box and
    every H at the minimum image of its nearest O; also (H,) indices of the H atoms and (H,)
    indices of their O."""
    x = np.mod(np.asarray(positions, dtype=np.float64), box)
    oxygens, hydrogens = np.nonzero(numbers == 8)[0], np.nonzero(numbers == 1)[0]
    if len(oxygens) == 0:
        return x, hydrogens[:0], oxygens
    delta = x[hydrogens][:, None, :] - x[oxygens][None, :, :]
    delta -= box * np.round(delta / box)
    nearest = np.argmin(np.einsum("hod,hod->ho", delta, delta), axis=1)
    x[hydrogens] = x[oxygens[nearest]] + delta[np.arange(len(hydrogens)), nearest]
    return x, hydrogens, oxygens[nearest]


class WaterRenderer(Canvas):
    """Whole molecules wrapped into the box (by their O) and seen from a camera at 2.5 box lengths; O red, H white,
    sized by depth; O–H bonds under 1.25 Å; the box edges; a heads-up line."""

    def __init__(self, box, size: int = 600, human: bool = False, fps: int = 30):
        super().__init__(size, human, fps, "autoparticles — water")
        self.box = np.asarray(box, dtype=np.float64)
        self.distance = 2.5 * self.box.max()
        self.pitch = 0.35

    def _project(self, points: np.ndarray, yaw: float):
        """(M, 2) pixels and (M,) depth factors of (M, 3) points [Å]."""
        centred = (points - 0.5 * self.box) @ rotation(yaw, self.pitch).T
        depth = self.distance / (self.distance - centred[:, 2])
        scale = 0.42 * self.size / (0.5 * self.box.max() * np.sqrt(3))
        xy = np.stack([self.size / 2 + centred[:, 0] * depth * scale,
                       self.size / 2 - centred[:, 1] * depth * scale], axis=1)
        return xy.astype(int), depth

    def draw(self, positions, numbers, yaw: float = 0.0, hud: str = "") -> np.ndarray | None:
        """positions: (N, 3) [Å], unwrapped or not; numbers: (N,) atomic numbers."""
        pg, surface = self.pygame, self.surface
        surface.fill((12, 12, 20))
        corners = np.array([[i, j, k] for i in (0, 1) for j in (0, 1) for k in (0, 1)]) * self.box
        cxy, _ = self._project(corners, yaw)
        for a in range(8):
            for b in range(a + 1, 8):
                if np.sum(np.abs(corners[a] - corners[b]) > 0) == 1:
                    pg.draw.line(surface, EDGE, cxy[a], cxy[b], 1)
        x, hydrogens, bonded = wrap_molecules(positions, numbers, self.box)
        xy, depth = self._project(x, yaw)
        for h, o in zip(hydrogens, bonded):
            if np.linalg.norm(x[h] - x[o]) < BOND_LENGTH:
                pg.draw.line(surface, BOND, xy[h], xy[o], 2)
        base = 0.018 * self.size
        for k in np.argsort(depth):  # far atoms first
            big = numbers[k] == 8
            radius = max(2, int(base * (1.0 if big else 0.6) * depth[k]))
            pg.draw.circle(surface, OXYGEN if big else HYDROGEN, xy[k], radius)
        if hud:
            self.text(hud)
        return self.present()
