"""Strict readers for CP2K's XYZ trajectory files (positions, velocities, forces).

Every frame is an atom count, a comment `i = STEP, time = T[fs], E = ...` and one line per atom
`SYMBOL x y z`. Malformed input raises `MalformedTrajectoryError` naming the file and line.
Values are returned in CP2K's units (Å for positions; atomic units for velocities, forces).
"""

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HEADER = re.compile(r"i\s*=\s*(\d+)\s*,\s*time\s*=\s*([-+0-9.eE]+)")


class MalformedTrajectoryError(ValueError):
    """A trajectory file that cannot be read; the message names the file and line."""

    def __init__(self, path: Path, line: int, problem: str):
        super().__init__(f"{path}:{line}: {problem}")
        self.path, self.line = path, line


@dataclass(frozen=True)
class XYZFrames:
    """symbols: per atom; steps: (F,) MD steps; times: (F,) [fs]; values: (F, N, 3); lines:
    (F,) 1-based line number of each frame's atom count (for messages)."""

    path: Path
    symbols: tuple[str, ...]
    steps: np.ndarray
    times: np.ndarray
    values: np.ndarray
    lines: np.ndarray


def read_cp2k_xyz(path, stop_at_step: int | None = None) -> XYZFrames:
    """Read every frame (or those before a frame with step > stop_at_step)."""
    path = Path(path)
    text = path.read_text().splitlines()
    symbols: tuple[str, ...] | None = None
    steps, times, frames, starts = [], [], [], []
    line = 0
    while line < len(text):
        if not text[line].strip():
            line += 1
            continue
        head = text[line].strip()
        if not head.isdigit():
            raise MalformedTrajectoryError(path, line + 1, f"expected an atom count, got {head[:40]!r}")
        count = int(head)
        if symbols is not None and count != len(symbols):
            raise MalformedTrajectoryError(
                path, line + 1, f"frame has {count} atoms, the first frame has {len(symbols)}")
        if line + 1 >= len(text):
            raise MalformedTrajectoryError(path, line + 2, "truncated frame: comment line missing")
        match = HEADER.search(text[line + 1])
        if not match:
            raise MalformedTrajectoryError(
                path, line + 2, f"expected 'i = STEP, time = T', got {text[line + 1][:60]!r}")
        step = int(match.group(1))
        if stop_at_step is not None and step > stop_at_step:
            break
        body = text[line + 2 : line + 2 + count]
        if len(body) < count:
            raise MalformedTrajectoryError(
                path, line + 2 + len(body) + 1,
                f"truncated frame at step {step}: {len(body)} of {count} atom lines")
        names, rows = [], []
        for offset, atom_line in enumerate(body):
            fields = atom_line.split()
            try:
                if len(fields) != 4:
                    raise ValueError
                rows.append((float(fields[1]), float(fields[2]), float(fields[3])))
            except ValueError:
                raise MalformedTrajectoryError(
                    path, line + 3 + offset, f"expected 'SYMBOL x y z', got {atom_line[:60]!r}"
                ) from None
            names.append(fields[0])
        if symbols is None:
            symbols = tuple(names)
        elif tuple(names) != symbols:
            first = next(k for k, (a, b) in enumerate(zip(names, symbols)) if a != b)
            raise MalformedTrajectoryError(
                path, line + 3 + first,
                f"atom {first} is {names[first]} here but {symbols[first]} in the first frame")
        steps.append(step)
        times.append(float(match.group(2)))
        frames.append(rows)
        starts.append(line + 1)
        line += 2 + count
    if symbols is None:
        raise MalformedTrajectoryError(path, 1, "no frames")
    return XYZFrames(path, symbols, np.array(steps), np.array(times),
                     np.array(frames, dtype=np.float64), np.array(starts))


def check_matching(reference: XYZFrames, other: XYZFrames) -> None:
    """Raise if `other` does not hold the same atoms and frames (steps) as `reference`."""
    if other.symbols != reference.symbols:
        raise MalformedTrajectoryError(
            other.path, 1, f"atoms differ from {reference.path.name} (count or order)")
    if len(other.steps) < len(reference.steps):
        missing = reference.steps[len(other.steps)]
        raise MalformedTrajectoryError(
            other.path, int(other.lines[-1]) if len(other.lines) else 1,
            f"file ends after {len(other.steps)} frames, {reference.path.name} has "
            f"{len(reference.steps)} (first missing step {missing})")
    if len(other.steps) > len(reference.steps):
        raise MalformedTrajectoryError(
            reference.path, int(reference.lines[-1]),
            f"file ends after {len(reference.steps)} frames, {other.path.name} has {len(other.steps)}")
    differ = np.nonzero(other.steps != reference.steps)[0]
    if len(differ):
        k = differ[0]
        raise MalformedTrajectoryError(
            other.path, int(other.lines[k]),
            f"frame {k} is step {other.steps[k]}, {reference.path.name} has step {reference.steps[k]}")
