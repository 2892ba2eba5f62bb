"""Lazy public names of a package (PEP 562): a name loads its module on first use, so that
importing a package stays light and the command line can set thread counts before numba or
torch start."""

import importlib


def lazy_exports(package: str, table: dict[str, str]):
    """A module `__getattr__` for `package` that resolves `table` (name -> module path)."""

    def __getattr__(name):
        if name not in table:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(table[name]), name)

    return __getattr__
