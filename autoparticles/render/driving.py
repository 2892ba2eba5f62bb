"""pygame frames of driving particles drawn from plain arrays (no simulation code here)."""

import numpy as np

from autoparticles.invariants.space import displacement
from autoparticles.render.canvas import Canvas

BACKGROUND = (18, 18, 24)
WATCH_LINE = (80, 80, 110)
FLASH = (255, 255, 255)


def heading_colours(headings: np.ndarray, saturation: float = 0.75,
                    value: float = 0.95) -> np.ndarray:
    """(N, 3) uint8 colours: hue = direction of the heading ê (matplotlib's HSV -> RGB)."""
    from matplotlib.colors import hsv_to_rgb

    hue = (np.arctan2(headings[:, 1], headings[:, 0]) / (2 * np.pi)) % 1.0
    hsv = np.stack([hue, np.full_like(hue, saturation), np.full_like(hue, value)], axis=1)
    return (255 * hsv_to_rgb(hsv)).astype(np.uint8)


class DrivingRenderer(Canvas):
    """Disks in a periodic square (drawn wrapped across edges), velocity arrows, a line to
    the watched neighbour, a white ring on collision onsets, optional trails and a heads-up
    line. box: side L; radius: disk radius R; size: frame side [pixels]; zoom: magnification
    about the box centre."""

    def __init__(self, box: float, radius: float, size: int = 600, human: bool = False,
                 fps: int = 10, trail_length: int = 30):
        super().__init__(size, human, fps, "autoparticles — driving")
        self.box, self.radius = float(box), float(radius)
        self.zoom = 1.0
        self.show_trails = False
        self.trail_length = trail_length
        self._trail: list[np.ndarray] = []

    @property
    def scale(self) -> float:
        return self.size / self.box * self.zoom

    def pixel(self, xy) -> tuple[int, int]:
        """Screen pixel of a world point (x right, y up; zoom about the centre)."""
        col, row = self.pixels(np.asarray(xy, dtype=float)[None])[0]
        return int(col), int(row)

    def pixels(self, xy: np.ndarray) -> np.ndarray:
        """(M, 2) int pixels of (M, 2) world points."""
        centre = 0.5 * self.box
        out = np.empty(xy.shape)
        out[:, 0] = self.size / 2 + (xy[:, 0] - centre) * self.scale
        out[:, 1] = self.size / 2 - (xy[:, 1] - centre) * self.scale
        return np.rint(out).astype(int)

    def draw(self, positions, velocities, headings, watched=None, onsets=None,
             hud: str = "") -> np.ndarray | None:
        """Render one frame; returns (size, size, 3) uint8, or None in human mode.
        onsets: (N,) collision counts of this step (non-zero: flash)."""
        pg, surface = self.pygame, self.surface
        surface.fill(BACKGROUND)
        positions = np.asarray(positions)
        self._trail.append(positions.copy())
        del self._trail[:-self.trail_length]
        if self.show_trails:
            self._draw_trails()
        velocities = np.asarray(velocities)
        if watched is not None:
            has = np.asarray(watched) >= 0
            delta = displacement(positions[has], positions[watched[has]], self.box)
            for a, b in zip(self.pixels(positions[has]).tolist(),
                            self.pixels(positions[has] + delta).tolist()):
                pg.draw.line(surface, WATCH_LINE, a, b, 1)
        colours = [tuple(c) for c in heading_colours(np.asarray(headings)).tolist()]
        r_pix = max(2, int(round(self.radius * self.scale)))
        flashing = np.zeros(len(positions), bool) if onsets is None else np.asarray(onsets) > 0
        for shift in self._image_shifts():
            near = self._crossing(positions, shift)
            index = np.nonzero(near)[0]
            centres = self.pixels(positions[index] + shift).tolist()
            tips = self.pixels(positions[index] + shift + velocities[index] * (2 * self.radius)).tolist()
            for k, centre, tip in zip(index.tolist(), centres, tips):
                pg.draw.circle(surface, colours[k], centre, r_pix)
                if flashing[k]:
                    pg.draw.circle(surface, FLASH, centre, r_pix + 3, 2)
                pg.draw.line(surface, (245, 245, 245), centre, tip, 2)
        if hud:
            self.text(hud)
        return self.present()

    def _draw_trails(self) -> None:
        for a, b in zip(self._trail[:-1], self._trail[1:]):
            jump = np.abs(b - a).max(axis=1) > 0.5 * self.box  # wrapped: no line across
            for p, q in zip(a[~jump], b[~jump]):
                self.pygame.draw.line(self.surface, (60, 60, 70), self.pixel(p), self.pixel(q), 1)

    def _image_shifts(self) -> list[np.ndarray]:
        """The box itself and its 8 periodic neighbours."""
        return [np.array([a, b]) * self.box for a in (0, -1, 1) for b in (0, -1, 1)]

    def _crossing(self, positions: np.ndarray, shift: np.ndarray) -> np.ndarray:
        """Which disks have a visible copy at `shift` (all for the zero shift; otherwise
        those whose disk crosses the matching edge)."""
        near = np.ones(len(positions), bool)
        for axis in range(2):
            if shift[axis] > 0:
                near &= positions[:, axis] - self.radius < 0
            elif shift[axis] < 0:
                near &= positions[:, axis] + self.radius > self.box
        return near
