"""Write frames (H, W, 3) uint8 as an animated GIF or an MP4."""

from pathlib import Path

import numpy as np


def check_animation_path(path) -> Path:
    """The path, if its suffix names a format write_animation knows (.gif, .mp4)."""
    path = Path(path)
    if path.suffix.lower() not in (".gif", ".mp4"):
        raise ValueError(f"--record needs a .gif or .mp4 file name, got {path.name!r}")
    return path


def write_animation(frames, path, fps: int = 20) -> Path:
    """GIF (Pillow, through imageio) or MP4 (imageio-ffmpeg), chosen by the suffix."""
    import imageio.v2 as imageio

    path = check_animation_path(path)
    frames = [np.asarray(f, dtype=np.uint8) for f in frames]
    if not frames:
        raise ValueError("no frames to write")
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".gif":
        imageio.mimsave(path, frames, duration=1000.0 / fps, loop=0)
    else:
        with imageio.get_writer(path, fps=fps, codec="libx264", macro_block_size=1) as writer:
            for frame in frames:
                writer.append_data(frame)
    return path
