"""The one atomic writer of every output file (settings, models, datasets, checkpoints)."""

import os
from pathlib import Path
from typing import Callable


def atomic_write(path, write: Callable[[Path], None]) -> Path:
    """Call write(tmp) on a temporary name beside `path` (same suffix, so writers that add one
    keep it), then rename it over `path`: a reader never sees half a file."""
    path = Path(path)
    tmp = path.with_name(f"{path.stem}.tmp{path.suffix}")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
