"""pygame frames of driving particles drawn from plain arrays (no simulation code here)."""

import numpy as np

from autoparticles.invariants.space import displacement
from autoparticles.render.canvas import Canvas

BACKGROUND = (18, 18, 24)
WATCH_LINE = (80, 80, 110)
FLASH = (255, 255, 255)
WALL = (200, 200, 210)
GOAL = (40, 90, 55)
OUTSIDE = (8, 8, 10)
PALETTE = ((90, 170, 250), (250, 170, 60), (150, 150, 150), (120, 220, 120), (230, 90, 200),
           (240, 230, 90))
"""Group colours of typed scenes, in the scene's group order."""


def heading_colours(headings: np.ndarray, saturation: float = 0.75,
                    value: float = 0.95) -> np.ndarray:
    """(N, 3) uint8 colours: hue = direction of the heading ê (matplotlib's HSV -> RGB)."""
    from matplotlib.colors import hsv_to_rgb

    hue = (np.arctan2(headings[:, 1], headings[:, 0]) / (2 * np.pi)) % 1.0
    hsv = np.stack([hue, np.full_like(hue, saturation), np.full_like(hue, value)], axis=1)
    return (255 * hsv_to_rgb(hsv)).astype(np.uint8)


class DrivingRenderer(Canvas):
    """Disks in a rectangular world (drawn wrapped across periodic edges), velocity arrows, a
    line to the watched neighbour, a white ring on collision onsets, optional trails and a
    heads-up line. box: side L of a square, or (width, height); radius: disk radius R, or
    (N,) per disk; size: frame side [pixels]; zoom: magnification about the world's centre.

    A typed scene adds: periodic (per axis), walls (S, 4) segments, goals (x1, y1, x2, y2)
    regions, groups (N,) group index of each disk (its colour) and legend (group names)."""

    def __init__(self, box, radius, size: int = 600, human: bool = False, fps: int = 10,
                 trail_length: int = 30, periodic=(True, True), walls=(), goals=(),
                 groups=None, legend=()):
        super().__init__(size, human, fps, "autoparticles — driving")
        self.extent = np.broadcast_to(np.asarray(box, dtype=float), (2,)).copy()
        self.box = float(self.extent.max())
        self.radius = np.asarray(radius, dtype=float)
        self.periodic = tuple(bool(p) for p in periodic)
        self.walls = np.asarray(walls, dtype=float).reshape(-1, 4)
        self.goals = [tuple(g) for g in goals]
        self.groups = None if groups is None else np.asarray(groups)
        self.legend = tuple(legend)
        self.zoom = 1.0
        self.show_trails = False
        self.trail_length = trail_length
        self._trail: list[np.ndarray] = []

    @property
    def scale(self) -> float:
        return self.size / self.box * self.zoom

    def _radii(self, n: int) -> np.ndarray:
        return np.broadcast_to(self.radius, (n,))

    def _colours(self, headings: np.ndarray, n: int) -> list[tuple]:
        if self.groups is None:
            return [tuple(c) for c in heading_colours(headings).tolist()]
        return [PALETTE[g % len(PALETTE)] for g in self.groups[:n].tolist()]

    def pixel(self, xy) -> tuple[int, int]:
        """Screen pixel of a world point (x right, y up; zoom about the centre)."""
        col, row = self.pixels(np.asarray(xy, dtype=float)[None])[0]
        return int(col), int(row)

    def pixels(self, xy: np.ndarray) -> np.ndarray:
        """(M, 2) int pixels of (M, 2) world points."""
        centre = 0.5 * self.extent
        out = np.empty(xy.shape)
        out[:, 0] = self.size / 2 + (xy[:, 0] - centre[0]) * self.scale
        out[:, 1] = self.size / 2 - (xy[:, 1] - centre[1]) * self.scale
        return np.rint(out).astype(int)

    def draw(self, positions, velocities, headings, watched=None, onsets=None,
             hud: str = "") -> np.ndarray | None:
        """Render one frame; returns (size, size, 3) uint8, or None in human mode.
        onsets: (N,) collision counts of this step (non-zero: flash)."""
        pg, surface = self.pygame, self.surface
        self._draw_ground()
        positions = np.asarray(positions)
        self._trail.append(positions.copy())
        del self._trail[:-self.trail_length]
        if self.show_trails:
            self._draw_trails()
        velocities = np.asarray(velocities)
        if watched is not None:
            watched = np.asarray(watched)
            own = positions[:len(watched)]
            has = watched >= 0
            delta = displacement(own[has], positions[watched[has]], self.extent)
            for a, b in zip(self.pixels(own[has]).tolist(),
                            self.pixels(own[has] + delta).tolist()):
                pg.draw.line(surface, WATCH_LINE, a, b, 1)
        n = len(positions)
        headings = np.asarray(headings)
        colours = self._colours(np.vstack([headings, np.ones((n - len(headings), 2))]), n)
        radii = self._radii(n)
        r_pix = np.maximum(2, np.rint(radii * self.scale)).astype(int).tolist()
        flashing = np.zeros(n, bool)
        if onsets is not None:
            flashing[:len(onsets)] = np.asarray(onsets) > 0
        for shift in self._image_shifts():
            near = self._crossing(positions, shift, radii)
            index = np.nonzero(near)[0]
            centres = self.pixels(positions[index] + shift).tolist()
            tips = self.pixels(positions[index] + shift
                               + velocities[index] * (2 * radii[index, None])).tolist()
            for k, centre, tip in zip(index.tolist(), centres, tips):
                pg.draw.circle(surface, colours[k], centre, r_pix[k])
                if flashing[k]:
                    pg.draw.circle(surface, FLASH, centre, r_pix[k] + 3, 2)
                if centre != tip:
                    pg.draw.line(surface, (245, 245, 245), centre, tip, 2)
        if self.legend:
            self._draw_legend()
        if hud:
            self.text(hud)
        return self.present()

    def _draw_ground(self) -> None:
        """Background, the world's rectangle, goal regions and walls."""
        pg, surface = self.pygame, self.surface
        surface.fill(OUTSIDE if tuple(self.extent) != (self.box, self.box) else BACKGROUND)
        (left, top), (right, bottom) = self.pixels(np.array([[0.0, self.extent[1]],
                                                             [self.extent[0], 0.0]])).tolist()
        pg.draw.rect(surface, BACKGROUND, (left, top, right - left, bottom - top))
        for x1, y1, x2, y2 in self.goals:
            (a, b), (c, d) = self.pixels(np.array([[x1, y2], [x2, y1]])).tolist()
            pg.draw.rect(surface, GOAL, (a, b, c - a, d - b))
        for wall in self.walls:
            a, b = self.pixels(wall.reshape(2, 2)).tolist()
            pg.draw.line(surface, WALL, a, b, 3)

    def _draw_legend(self) -> None:
        pg, y = self.pygame, self.size - 10
        for g, name in reversed(list(enumerate(self.legend))):
            label = self.font.render(name, True, (230, 230, 230))
            y -= label.get_height() + 4
            pg.draw.circle(self.surface, PALETTE[g % len(PALETTE)], (16, y + label.get_height() // 2), 6)
            self.surface.blit(label, (28, y))

    def _draw_trails(self) -> None:
        for a, b in zip(self._trail[:-1], self._trail[1:]):
            jump = np.abs(b - a).max(axis=1) > 0.5 * self.extent.min()  # wrapped: no line across
            for p, q in zip(a[~jump], b[~jump]):
                self.pygame.draw.line(self.surface, (60, 60, 70), self.pixel(p), self.pixel(q), 1)

    def _image_shifts(self) -> list[np.ndarray]:
        """The world itself and its periodic neighbours along the periodic axes."""
        xs = (0, -1, 1) if self.periodic[0] else (0,)
        ys = (0, -1, 1) if self.periodic[1] else (0,)
        return [np.array([a, b]) * self.extent for a in xs for b in ys]

    def _crossing(self, positions: np.ndarray, shift: np.ndarray, radii: np.ndarray) -> np.ndarray:
        """Which disks have a visible copy at `shift` (all for the zero shift; otherwise
        those whose disk crosses the matching edge)."""
        near = np.ones(len(positions), bool)
        for axis in range(2):
            if shift[axis] > 0:
                near &= positions[:, axis] - radii < 0
            elif shift[axis] < 0:
                near &= positions[:, axis] + radii > self.extent[axis]
        return near
