"""pygame frames of driving particles from plain arrays (imported lazily by the envs)."""

import colorsys

import numpy as np


def heading_colours(headings: np.ndarray) -> np.ndarray:
    """(N, 3) uint8 colours: hue = direction of the heading."""
    hue = (np.arctan2(headings[:, 1], headings[:, 0]) / (2 * np.pi)) % 1.0
    return np.array([[int(255 * c) for c in colorsys.hsv_to_rgb(h, 0.75, 0.95)] for h in hue],
                    dtype=np.uint8)


class DrivingRenderer:
    """Draws disks (wrapped across the periodic edges), velocity arrows and watch lines.

    box: side L; radius: disk radius R; size: frame width = height [pixels]; human: open a
    window and pace it at `fps`."""

    def __init__(self, box: float, radius: float, size: int = 600, human: bool = False,
                 fps: int = 10):
        import pygame

        self.pygame = pygame
        pygame.init()
        self.box, self.radius, self.size, self.fps, self.human = box, radius, size, fps, human
        self.scale = size / box
        if human:
            self.window = pygame.display.set_mode((size, size))
            pygame.display.set_caption("autoparticles — driving")
            self.clock = pygame.time.Clock()
        self.canvas = pygame.Surface((size, size))

    def _pixel(self, xy) -> tuple[int, int]:
        return int(xy[0] * self.scale), int(self.size - xy[1] * self.scale)

    def draw(self, positions, velocities, headings, watched=None) -> np.ndarray | None:
        """Render one frame; returns (size, size, 3) uint8 (None in human mode)."""
        pg, canvas = self.pygame, self.canvas
        canvas.fill((18, 18, 24))
        colours = heading_colours(headings)
        r_pix = max(1, int(round(self.radius * self.scale)))
        if watched is not None:
            for i, j in enumerate(watched):
                if j >= 0:
                    delta = positions[j] - positions[i]
                    delta -= self.box * np.round(delta / self.box)
                    pg.draw.line(canvas, (70, 70, 90), self._pixel(positions[i]),
                                 self._pixel(positions[i] + delta), 1)
        for x, v, colour in zip(positions, velocities, colours):
            for shift in self._images(x):
                centre = self._pixel(x + shift)
                pg.draw.circle(canvas, tuple(int(c) for c in colour), centre, r_pix)
                pg.draw.line(canvas, (240, 240, 240), centre, self._pixel(x + shift + 0.5 * v), 1)
        if self.human:
            self.window.blit(canvas, (0, 0))
            pg.event.pump()
            pg.display.flip()
            self.clock.tick(self.fps)
            return None
        return np.transpose(pg.surfarray.array3d(canvas), (1, 0, 2)).copy()

    def _images(self, x):
        """Shifts that draw a disk crossing an edge on both sides."""
        shifts = [np.zeros(2)]
        for axis in range(2):
            for sign in (-1, 1):
                edge = x[axis] + sign * self.radius
                if edge < 0 or edge > self.box:
                    shift = np.zeros(2)
                    shift[axis] = -sign * self.box
                    shifts.append(shift)
        return shifts

    def close(self) -> None:
        self.pygame.quit()
