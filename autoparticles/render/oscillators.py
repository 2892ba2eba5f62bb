"""pygame frames of driven oscillators: a cloud of 2-D samples (target units, the window
spans ±3.5) or a square grid of 8×8-like images (pixels 0..16, dark = high)."""

import numpy as np

from autoparticles.render.canvas import Canvas

HALF_WIDTH = 3.5
"""The 2-D view spans [-HALF_WIDTH, HALF_WIDTH] on both axes."""
POINT = (90, 170, 255)
AXES = (70, 70, 90)


class OscillatorRenderer(Canvas):
    """image: (rows, cols) when a sample is an image, else None (2-D points)."""

    def __init__(self, size: int = 640, human: bool = False, image: tuple | None = None,
                 fps: int = 30):
        super().__init__(size, human, fps, "autoparticles — oscillators")
        self.image = image

    def draw(self, samples: np.ndarray, hud: str = "") -> np.ndarray | None:
        """samples: (n, 2) points or (n, rows·cols) images in target units."""
        self.surface.fill((12, 12, 20))
        if self.image is None:
            self._points(samples)
        else:
            self._images(samples)
        if hud:
            self.text(hud)
        return self.present()

    def _points(self, points) -> None:
        pg, middle = self.pygame, self.size // 2
        pg.draw.line(self.surface, AXES, (0, middle), (self.size, middle))
        pg.draw.line(self.surface, AXES, (middle, 0), (middle, self.size))
        pixels = (0.5 + 0.5 * np.asarray(points) * [1, -1] / HALF_WIDTH) * self.size
        for x, y in pixels.astype(int):
            pg.draw.circle(self.surface, POINT, (x, y), 2)

    def _images(self, images) -> None:
        rows, cols = self.image
        side = int(np.ceil(np.sqrt(len(images))))
        cell = self.size // side
        pixel = max(1, (cell - 6) // max(rows, cols))
        for k, img in enumerate(np.clip(images, 0, 16).reshape(-1, rows, cols)):
            top, left = (k // side) * cell + 3, (k % side) * cell + 3
            for r in range(rows):
                for c in range(cols):
                    grey = int(255 * (1 - img[r, c] / 16))
                    self.pygame.draw.rect(self.surface, (grey, grey, grey),
                                          (left + c * pixel, top + r * pixel, pixel, pixel))
