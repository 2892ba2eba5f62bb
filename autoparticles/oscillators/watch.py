"""`oscillators watch`: the reverse process of a trained protocol, from the bath's N(0, I)
to samples, as a cloud of 2-D points or a grid of images, in a window or recorded."""

from autoparticles.oscillators.agent import protocol_target
from autoparticles.oscillators.config import SampleSettings
from autoparticles.oscillators.world import ReverseProcess
from autoparticles.render.viewer import open_canvas, show_or_record

FRAMES = 120
"""Frames of a recording (the steps are spread over them)."""


def watch_reverse(protocol, settings: SampleSettings, n: int | None = None, record=None,
                  size: int = 640):
    """Show (record None) or record the reverse process of n copies of the network (default
    1000 points or 16 images); returns the recording's path or None."""
    from autoparticles.render.oscillators import OscillatorRenderer

    target = protocol_target(protocol)
    n = n or (16 if target.image else 1000)
    process = ReverseProcess(protocol, n, settings.reverse_steps, settings.seed)
    canvas = open_canvas(record, lambda human: OscillatorRenderer(size, human, target.image))

    def draw():
        hud = f"t = {process.t:6.3f}   step {process.steps}/{settings.reverse_steps}"
        return canvas.draw(target.to_target(process.x), hud)

    every = max(1, settings.reverse_steps // FRAMES) if record else 1
    return show_or_record(canvas, process.run, draw, settings.reverse_steps, record, every=every)
