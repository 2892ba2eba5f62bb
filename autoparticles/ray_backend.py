"""Ray as the backend of `tasks`: a local instance of K CPUs, or a running cluster; every call
is one Ray task of one CPU, run again when the worker process running it dies, cancelled on
Ctrl-C.

Ray keeps its session files (logs, sockets, spilled objects) in its own temporary folder,
/tmp/ray unless `RAY_TMPDIR` says otherwise; the work itself writes only its tasks' folders,
which on a cluster must be on a file system every node sees.
"""

import logging
import socket
from contextlib import contextmanager

RETRIES = 3
"""How many times Ray runs a task again after the worker process running it died."""
INSTALL = ('--backend ray needs Ray, an optional extra: pip install -e ".[ray]" '
           '(or pip install "ray>=2.10")')


@contextmanager
def session(address: str | None = None, workers: int | None = None):
    """Within: connected to Ray. A local instance of `workers` CPUs (all of them if None) is
    started when `address` is None, else the cluster at `address` (HOST:PORT or 'auto') is
    joined; both are left at the end. A connection made before (ray.init by the caller) is
    used as it is and kept."""
    try:
        import ray
    except ImportError:
        raise RuntimeError(INSTALL) from None
    if ray.is_initialized():
        yield
        return
    if address is None:
        ray.init(address="local", num_cpus=workers, include_dashboard=False,
                 log_to_driver=False, logging_level=logging.WARNING)
    else:
        if address != "auto":
            _probe(address)
        try:
            ray.init(address=address, log_to_driver=False, logging_level=logging.WARNING)
        except ConnectionError as error:
            raise ValueError(f"--address {address}: {error}") from None
    try:
        yield
    finally:
        ray.shutdown()


def _probe(address: str) -> None:
    """Fail in seconds, with the address named, when nothing listens at HOST:PORT (Ray itself
    retries for minutes)."""
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"--address must be HOST:PORT or auto, got {address!r}")
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except OSError as error:
        raise ValueError(f"--address {address}: no Ray cluster answers there "
                         f"({error.strerror or error})") from None


def _running(pending: int) -> int:
    """Tasks running now: the cluster's CPUs in use, at most the `pending` ones."""
    import ray

    used = ray.cluster_resources().get("CPU", 0) - ray.available_resources().get("CPU", 0)
    return max(0, min(pending, round(used)))


def imap_unordered(function, items: list, on_running=lambda count: None):
    """Within a `session`: yield (index, function(item)) for every item as it finishes, or
    (index, the Ray error) when Ray gave up on it (its worker died more than RETRIES times).
    `function` must be importable by the workers (module level). on_running(count) hears how
    many run now. Ctrl-C, or the caller closing the generator, cancels what is unfinished."""
    import ray

    remote = ray.remote(function).options(num_cpus=1, max_retries=RETRIES,
                                          retry_exceptions=False)
    pending = {remote.remote(item): k for k, item in enumerate(items)}
    try:
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1, timeout=1.0)
            on_running(_running(len(pending) - len(done)))
            for ref in done:
                k = pending.pop(ref)
                try:
                    value = ray.get(ref)
                except ray.exceptions.RayError as error:
                    value = error
                yield k, value
    finally:
        for ref in pending:
            ray.cancel(ref, force=True)
