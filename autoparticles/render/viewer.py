"""Keyboard-driven viewing loop for a pygame canvas, and the window-or-recording choice every
system's `watch` makes.

Keys: space pause/resume, → or . one step while paused, + / - faster / slower, z / x zoom in /
out, t trails on/off, q or Esc quit.
"""

from dataclasses import dataclass

from autoparticles.render.canvas import has_display

NO_DISPLAY = "no display available for a window; add --record FILE.gif (or .mp4) to write the animation"


@dataclass
class Controls:
    paused: bool = False
    steps_per_frame: int = 1
    zoom: float = 1.0
    trails: bool = False
    single_step: bool = False
    quit: bool = False

    def handle(self, pygame) -> None:
        for event in pygame.event.get():
            if event.type == pygame.QUIT:
                self.quit = True
            elif event.type == pygame.KEYDOWN:
                key = event.unicode
                if event.key in (pygame.K_ESCAPE,) or key == "q":
                    self.quit = True
                elif event.key == pygame.K_SPACE:
                    self.paused = not self.paused
                elif event.key == pygame.K_RIGHT or key == ".":
                    self.single_step = True
                elif key in ("+", "="):
                    self.steps_per_frame = min(64, self.steps_per_frame * 2)
                elif key == "-":
                    self.steps_per_frame = max(1, self.steps_per_frame // 2)
                elif key == "z":
                    self.zoom = min(8.0, self.zoom * 1.25)
                elif key == "x":
                    self.zoom = max(1.0, self.zoom / 1.25)
                elif key == "t":
                    self.trails = not self.trails


def interactive(canvas, advance, draw, limit: int) -> None:
    """Call advance(n) and draw() until `limit` steps or the user quits."""
    controls = Controls()
    done = 0
    while done < limit and not controls.quit:
        controls.handle(canvas.pygame)
        if hasattr(canvas, "zoom"):
            canvas.zoom = controls.zoom
        if hasattr(canvas, "show_trails"):
            canvas.show_trails = controls.trails
        if not controls.paused or controls.single_step:
            n = 1 if controls.single_step else controls.steps_per_frame
            advance(n)
            done += n
            controls.single_step = False
        draw()


def open_canvas(record, make):
    """make(human) -> canvas: a window when `record` is None (refused without a display),
    else an off-screen canvas for the recording."""
    if record is None and not has_display():
        raise RuntimeError(NO_DISPLAY)
    return make(record is None)


def show_or_record(canvas, advance, draw, steps: int, record=None, fps: int = 20,
                   every: int = 1):
    """Show advance/draw in the window until `steps` steps (record None; returns None), or
    write every `every`-th frame of `steps` to `record` at `fps` (returns the path). Closes
    the canvas."""
    from autoparticles.render.recording import write_animation

    try:
        if record is None:
            interactive(canvas, advance, draw, steps)
            return None
        frames = []
        for _ in range(0, steps, every):
            advance(every)
            frames.append(draw())
    finally:
        canvas.close()
    return write_animation(frames, record, fps=fps)
