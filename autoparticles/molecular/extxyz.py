"""Extended XYZ trajectories (readable by ASE, OVITO and VMD), written and read here."""

import re
from pathlib import Path

import numpy as np

from autoparticles.molecular.cp2k_parsers import MalformedTrajectoryError


def format_frame(symbols, positions, box, velocities=None, info: dict | None = None) -> str:
    """One frame: positions (N, 3) [Å], optional velocities (N, 3) [Å/fs], cubic/orthorhombic
    box (3,) [Å], scalar `info` entries in the comment line."""
    a, b, c = box
    props = "species:S:1:pos:R:3" + (":vel:R:3" if velocities is not None else "")
    extra = " ".join(f"{k}={v:.10g}" if isinstance(v, float) else f"{k}={v}" for k, v in (info or {}).items())
    lines = [str(len(symbols)),
             f'Lattice="{a:.8f} 0 0 0 {b:.8f} 0 0 0 {c:.8f}" Properties={props} pbc="T T T" {extra}'.rstrip()]
    for k, s in enumerate(symbols):
        row = f"{s} {positions[k, 0]:.8f} {positions[k, 1]:.8f} {positions[k, 2]:.8f}"
        if velocities is not None:
            row += f" {velocities[k, 0]:.8e} {velocities[k, 1]:.8e} {velocities[k, 2]:.8e}"
        lines.append(row)
    return "\n".join(lines) + "\n"


def read_extxyz(path) -> dict:
    """Frames of a file written by `format_frame`: {'symbols', 'positions' (F, N, 3), 'box'
    (3,), 'info' (list of dicts)}; a malformed line raises an error naming file and line."""
    path = Path(path)
    try:
        lines = path.read_text().splitlines()
    except UnicodeDecodeError as error:
        raise MalformedTrajectoryError(path, path.read_bytes()[:error.start].count(b"\n") + 1,
                                       "not a text file (extended XYZ expected)") from None
    frames, infos, symbols, box, k = [], [], None, None, 0
    while k < len(lines):
        if not lines[k].strip():
            k += 1
            continue
        if not lines[k].strip().isdigit():
            raise MalformedTrajectoryError(path, k + 1, f"expected an atom count, got {lines[k][:40]!r}")
        n = int(lines[k])
        if k + 1 >= len(lines):
            raise MalformedTrajectoryError(path, k + 2, "truncated frame: comment line missing")
        lattice = re.search(r'Lattice="([^"]+)"', lines[k + 1])
        if not lattice:
            raise MalformedTrajectoryError(path, k + 2, "comment line has no Lattice=\"...\"")
        try:
            cell = np.array(lattice.group(1).split(), dtype=float).reshape(3, 3)
        except ValueError:
            raise MalformedTrajectoryError(path, k + 2, "Lattice needs nine numbers") from None
        box = np.diag(cell).copy()
        infos.append({m.group(1): m.group(2) for m in re.finditer(r'(\w+)=([^\s"]+)', lines[k + 1])})
        body = lines[k + 2 : k + 2 + n]
        if len(body) < n:
            raise MalformedTrajectoryError(path, k + 3 + len(body), f"truncated frame: {len(body)} of {n} atom lines")
        names, rows = [], []
        for offset, line in enumerate(body):
            fields = line.split()
            try:
                rows.append([float(v) for v in fields[1:4]])
                if len(rows[-1]) != 3:
                    raise ValueError
            except ValueError:
                raise MalformedTrajectoryError(path, k + 3 + offset, f"expected 'SYMBOL x y z ...', got {line[:60]!r}") from None
            names.append(fields[0])
        if symbols is not None and names != symbols:
            raise MalformedTrajectoryError(path, k + 1, "atoms differ from the first frame")
        symbols = names
        frames.append(rows)
        k += 2 + n
    if symbols is None:
        raise MalformedTrajectoryError(path, 1, "no frames")
    return {"symbols": symbols, "positions": np.array(frames), "box": box, "info": infos}
