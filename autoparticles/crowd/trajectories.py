"""A pedestrian trajectory as plain arrays, written as the text format PedPy reads
(`pedpy.load_trajectory`: columns id frame x y z, a `# framerate:` and a `# x/m` header), so
that every producer (JuPedSim or a policy of our own world) is analysed the same way."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pedpy

from autoparticles.files import atomic_write


@dataclass(frozen=True)
class Trajectory:
    """Rows (frame, id, x, y): frame (K,) int, id (K,) int, x, y (K,) [m], recorded at `fps`
    frames per second (frame f is time f / fps [s]). A pedestrian who leaves the scene has no
    rows after leaving; one who is moved across a periodic seam continues under a new id.
    `producer` names what made it (e.g. "jupedsim:csm"). `periodic`: the positions live on
    the scene's periodic cell, so bodies across its seam are neighbours (minimum image, for a
    world with true periodic boundaries); False for JuPedSim's open emulation, where the two
    ends of the cell are far apart."""

    frame: np.ndarray
    id: np.ndarray
    x: np.ndarray
    y: np.ndarray
    fps: float
    producer: str = ""
    periodic: bool = False

    @classmethod
    def from_rows(cls, rows, fps: float, producer: str = "", periodic: bool = False) -> "Trajectory":
        """From an iterable of (frame, id, x, y)."""
        table = np.asarray(list(rows), dtype=float).reshape(-1, 4)
        return cls(frame=table[:, 0].astype(np.int64), id=table[:, 1].astype(np.int64),
                   x=table[:, 2], y=table[:, 3], fps=float(fps), producer=producer,
                   periodic=periodic)

    @property
    def frames(self) -> int:
        """Number of frames recorded (the last frame + 1)."""
        return int(self.frame.max()) + 1 if len(self.frame) else 0

    def positions(self, frame: int) -> tuple[np.ndarray, np.ndarray]:
        """(ids (n,), positions (n, 2) [m]) of the pedestrians present in `frame`."""
        at = self.frame == frame
        return self.id[at], np.stack([self.x[at], self.y[at]], axis=1)

    def to_pedpy(self) -> pedpy.TrajectoryData:
        data = pd.DataFrame({"id": self.id, "frame": self.frame, "x": self.x, "y": self.y})
        return pedpy.TrajectoryData(data=data, frame_rate=self.fps)


def write_trajectory(trajectory: Trajectory, path) -> Path:
    """Write `trajectory` atomically as PedPy's text format (id frame x y z, in m)."""
    order = np.lexsort((trajectory.id, trajectory.frame))
    table = np.column_stack([trajectory.id[order], trajectory.frame[order], trajectory.x[order],
                             trajectory.y[order], np.zeros(len(order))])
    header = (f"framerate: {trajectory.fps:g}\nproducer: {trajectory.producer}\n"
              f"periodic: {str(trajectory.periodic).lower()}\n"
              "id\tfr\tx/m\ty/m\tz/m")

    def write(tmp: Path) -> None:
        np.savetxt(tmp, table, fmt=["%d", "%d", "%.4f", "%.4f", "%.1f"], delimiter="\t",
                   header=header, comments="# ")

    return atomic_write(path, write)


def read_trajectory(path) -> Trajectory:
    """A trajectory file written by write_trajectory (or any file pedpy.load_trajectory reads)."""
    loaded = pedpy.load_trajectory(trajectory_file=Path(path))
    data = loaded.data
    meta = {}
    with open(path) as text:
        for line in text:
            if not line.startswith("#"):
                break
            key, _, value = line[1:].partition(":")
            meta[key.strip()] = value.strip()
    return Trajectory(frame=data["frame"].to_numpy(np.int64), id=data["id"].to_numpy(np.int64),
                      x=data["x"].to_numpy(float), y=data["y"].to_numpy(float), fps=loaded.frame_rate,
                      producer=meta.get("producer", ""), periodic=meta.get("periodic") == "true")
