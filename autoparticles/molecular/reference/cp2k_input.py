"""CP2K input files for NNP water MD (Schran, Brezina & Marsalek, J. Chem. Phys. 153, 2020).

The model files come from Debian's `cp2k-data` package. One committee member is used with its
own `input.nn`, `scaling.data` and weights, since the members' scaling files differ.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

NNP_MODEL_DIRS = (
    Path("/usr/share/cp2k/NNP/bulkH2O-jcp2020-cnnp"),
    Path("/usr/local/share/cp2k/NNP/bulkH2O-jcp2020-cnnp"),
)
NNP_MODEL_NAME = "C-NNP water, Schran, Brezina & Marsalek, J. Chem. Phys. 153, 104105 (2020)"


def find_nnp_member(member: int = 1) -> Path:
    """Folder of committee member `member` (1..8) of the shipped C-NNP water model."""
    for root in NNP_MODEL_DIRS:
        folder = root / f"nnp-{member}"
        if (folder / "input.nn").is_file():
            return folder
    raise FileNotFoundError(
        f"NNP water model member nnp-{member} not found in {', '.join(map(str, NNP_MODEL_DIRS))}; "
        "install it with: apt-get install -y cp2k cp2k-data"
    )


@dataclass(frozen=True)
class Thermostat:
    """kind: 'csvr' or 'nose'; timecon_fs: time constant [fs]; chain_length: Nosé–Hoover only."""

    kind: str
    timecon_fs: float
    chain_length: int = 3

    def section(self) -> str:
        if self.kind == "csvr":
            body = f"      &CSVR\n        TIMECON {self.timecon_fs}\n      &END CSVR\n"
        elif self.kind == "nose":
            body = (
                f"      &NOSE\n        LENGTH {self.chain_length}\n"
                f"        TIMECON {self.timecon_fs}\n      &END NOSE\n"
            )
        else:
            raise ValueError(f"thermostat kind must be 'csvr' or 'nose', got {self.kind!r}")
        return (
            "    &THERMOSTAT\n      REGION GLOBAL\n"
            f"      TYPE {self.kind.upper()}\n{body}    &END THERMOSTAT\n"
        )


@dataclass(frozen=True)
class Restart:
    """Continue from a CP2K restart file.

    continue_run: True to carry on the same stage (counters and thermostat restored); False to
    take only positions and velocities (a new stage, e.g. production after equilibration).
    """

    path: Path
    continue_run: bool

    def section(self) -> str:
        flag = "T" if self.continue_run else "F"
        return (
            "&EXT_RESTART\n"
            f"  RESTART_FILE_NAME {self.path}\n"
            "  RESTART_DEFAULT F\n  RESTART_POS T\n  RESTART_VEL T\n"
            f"  RESTART_COUNTERS {flag}\n  RESTART_THERMOSTAT {flag}\n"
            "&END EXT_RESTART\n"
        )


def _print_every(section: str, stride: int, extra: str = "") -> str:
    return (
        f"    &{section}\n{extra}      &EACH\n        MD {stride}\n      &END EACH\n"
        f"    &END {section}\n"
    )


def md_input(
    project: str,
    coord_file: str,
    box: np.ndarray,
    steps: int,
    temperature: float,
    timestep_fs: float,
    thermostat: Thermostat,
    stride: int,
    seed: int,
    nnp_member: Path,
    restart: Restart | None = None,
    restart_every: int = 100,
) -> str:
    """Text of a CP2K NVT MD input with the NNP water model.

    box: (3,) edge lengths [Å]; steps: MD steps this invocation runs;
    stride: print positions, velocities and forces every `stride` steps.
    """
    a, b, c = (float(x) for x in box)
    prints = (
        _print_every("TRAJECTORY", stride, "      FORMAT XYZ\n")
        + _print_every("VELOCITIES", stride, "      FORMAT XYZ\n")
        + _print_every("FORCES", stride, "      FORMAT XYZ\n")
        + _print_every("RESTART", restart_every, "      BACKUP_COPIES 0\n")
    )
    text = f"""&GLOBAL
  PROJECT {project}
  RUN_TYPE MD
  PRINT_LEVEL LOW
  SEED {seed}
&END GLOBAL
&FORCE_EVAL
  METHOD NNP
  &NNP
    NNP_INPUT_FILE_NAME {nnp_member / "input.nn"}
    SCALE_FILE_NAME {nnp_member / "scaling.data"}
    &MODEL
      WEIGHTS {nnp_member / "weights"}
    &END MODEL
  &END NNP
  &SUBSYS
    &CELL
      ABC {a:.8f} {b:.8f} {c:.8f}
      PERIODIC XYZ
    &END CELL
    &TOPOLOGY
      COORD_FILE_NAME {coord_file}
      COORD_FILE_FORMAT XYZ
    &END TOPOLOGY
  &END SUBSYS
&END FORCE_EVAL
&MOTION
  &MD
    ENSEMBLE NVT
    STEPS {steps}
    TIMESTEP {timestep_fs}
    TEMPERATURE {temperature}
{thermostat.section()}  &END MD
  &PRINT
{prints}  &END PRINT
&END MOTION
"""
    if restart is not None:
        text += restart.section()
    return text
