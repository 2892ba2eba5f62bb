"""For tests that press Ctrl-C on a child process."""

import signal


def default_sigint() -> None:
    """Popen preexec_fn: the child takes SIGINT as Ctrl-C even when the test runner was
    started in the background of a non-interactive shell, which hands its children SIGINT
    ignored (Python then installs no KeyboardInterrupt handler)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
