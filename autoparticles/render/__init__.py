"""pygame frames from plain arrays (driving, water), the window viewer, GIF/MP4 recording.
pygame loads when a renderer is made."""

from autoparticles.render.driving import DrivingRenderer
from autoparticles.render.recording import write_animation
from autoparticles.render.water import WaterRenderer

__all__ = ["DrivingRenderer", "WaterRenderer", "write_animation"]
