"""``qa-lint`` and ``python -m qa_lint``: run the command line on this interpreter.

Workers are this interpreter started as ``python -m qa_lint __worker``: every example runs on
the Python (and sees the packages) of the environment qa-lint is installed in.
"""

import os
import platform
import signal
import sys


def main() -> None:
    from qa_lint import _native

    # The run happens in Rust, which never returns to Python's signal check: let Ctrl-C stop
    # the process as it stops the cargo-built binary.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    worker = [sys.executable, "-m", "qa_lint", "__worker"]
    python = f"{platform.python_implementation()} {platform.python_version()}"
    sys.exit(_native.main(["qa-lint", *sys.argv[1:]], worker, python, sys.prefix))


def _worker() -> None:
    # `-m` put the directory qa-lint was started from first on sys.path; examples must not
    # import from there (the cargo-built binary's workers do not either).
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]
    from qa_lint import _native

    _native.worker()


if __name__ == "__main__":
    if sys.argv[1:2] == ["__worker"]:
        _worker()
    else:
        main()
