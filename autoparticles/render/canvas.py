"""A pygame surface that returns frames as arrays, or shows them in a paced window."""

import os

import numpy as np


def has_display() -> bool:
    """True when a window can be opened (not the dummy driver, some display available)."""
    if os.environ.get("SDL_VIDEODRIVER") in ("dummy", "offscreen"):
        return False
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")) or os.name == "nt"


class Canvas:
    """size: frame side [pixels]; human: draw into a window at `fps` frames per second."""

    def __init__(self, size: int, human: bool, fps: int, caption: str):
        if not human:  # off-screen frames need no video device
            os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
        import pygame

        self.pygame = pygame
        pygame.display.init()  # not pygame.init(): no audio device is needed
        pygame.font.init()
        self.size, self.human, self.fps = int(size), human, fps
        if human:  # with SDL_VIDEODRIVER=dummy the window exists but shows nothing
            self.window = pygame.display.set_mode((self.size, self.size))
            pygame.display.set_caption(caption)
            self.clock = pygame.time.Clock()
        self.surface = pygame.Surface((self.size, self.size))
        self.font = pygame.font.Font(None, max(14, self.size // 40))

    def text(self, line: str, colour=(230, 230, 230)) -> None:
        """Heads-up line on a dark band across the top."""
        label = self.font.render(line, True, colour)
        self.pygame.draw.rect(self.surface, (0, 0, 0), (0, 0, self.size, label.get_height() + 10))
        self.surface.blit(label, (8, 5))

    def frame(self) -> np.ndarray:
        """(size, size, 3) uint8 copy of the surface (rows = y down)."""
        raw = self.pygame.image.tobytes(self.surface, "RGB")
        return np.frombuffer(raw, dtype=np.uint8).reshape(self.size, self.size, 3).copy()

    def present(self) -> np.ndarray | None:
        if not self.human:
            return self.frame()
        self.pygame.event.pump()
        self.window.blit(self.surface, (0, 0))
        self.pygame.display.flip()
        self.clock.tick(self.fps)
        return None

    def close(self) -> None:
        self.pygame.quit()
