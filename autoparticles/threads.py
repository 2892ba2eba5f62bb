"""Thread pools of the numeric libraries: one setting for OpenMP, MKL, OpenBLAS, numba and
torch (and CP2K, which reads OMP_NUM_THREADS), so that K processes use K cores."""

import ctypes
import glob
import os
import sys

THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                    "NUMBA_NUM_THREADS")


def limit_threads(threads: int) -> None:
    """Thread pools to `threads`: the variables are read when the libraries load; OpenBLAS
    (loaded by numpy), and numba and torch when already loaded, are told directly."""
    import numpy

    for name in THREAD_VARIABLES:
        os.environ[name] = str(threads)
    for path in glob.glob(os.path.dirname(numpy.__file__) + ".libs/*openblas*"):
        library = ctypes.CDLL(path)
        for symbol in ("scipy_openblas_set_num_threads64_", "openblas_set_num_threads"):
            if hasattr(library, symbol):
                getattr(library, symbol)(threads)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(threads)
    if "numba" in sys.modules:
        import numba

        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
