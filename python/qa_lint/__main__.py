"""``qa-lint`` and ``python -m qa_lint``: run the command line on this interpreter.

Workers run the examples on the project's environment: the virtual environment named by
``VIRTUAL_ENV``, else the nearest ``.venv`` in the current directory or above it (as uv finds
it), else the environment qa-lint is installed in. So a ``pipx``/``uv tool`` install still runs
the examples where their imports are installed.
"""

import os
import platform
import signal
import sys

# How a worker starts on another environment's interpreter: qa-lint's package directory is
# added at the end of sys.path (the project's own packages win), then this module's `_entry`.
_BOOT = "import sys; sys.path.append(%r); from qa_lint.__main__ import _entry; _entry()"


def _venv_version(env):
    """`CPython X.Y.Z` of a virtual environment, from its pyvenv.cfg (venv writes `version`,
    uv `version_info`); None when it says neither."""
    try:
        with open(os.path.join(env, "pyvenv.cfg"), encoding="utf-8") as f:
            for line in f:
                key, _, value = line.partition("=")
                if key.strip() in ("version", "version_info") and value.strip():
                    return "CPython " + ".".join(value.strip().split(".")[:3])
    except OSError:
        pass
    return None


def _project_env():
    """(environment dir, its python) whose packages the examples import, or None for this one."""
    env = os.environ.get("VIRTUAL_ENV")
    if not env:
        here = os.getcwd()
        while True:
            candidate = os.path.join(here, ".venv")
            if os.path.isfile(os.path.join(candidate, "pyvenv.cfg")):
                env = candidate
                break
            parent = os.path.dirname(here)
            if parent == here:
                return None
            here = parent
    python = os.path.join(env, "bin", "python")
    if not os.path.exists(python):
        return None
    if os.path.realpath(env) == os.path.realpath(sys.prefix):
        return None
    return env, python


def main() -> None:
    from qa_lint import _native

    # The run happens in Rust, which never returns to Python's signal check: let Ctrl-C stop
    # the process as it stops the cargo-built binary.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    worker = [sys.executable, "-m", "qa_lint", "__worker"]
    python = f"{platform.python_implementation()} {platform.python_version()}"
    prefix, shown = sys.prefix, None
    project = _project_env()
    if project is not None:
        env, interpreter = project
        package_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        worker = [interpreter, "-c", _BOOT % package_dir, "__worker"]
        python = _venv_version(env) or python
        prefix = env
        # The summary names it: relative to the current directory when it is below it.
        rel = os.path.relpath(env)
        shown = env if rel.startswith("..") else rel
    sys.exit(_native.main(["qa-lint", *sys.argv[1:]], worker, python, prefix, shown))


def _worker() -> None:
    # `-m` (or `-c`) put the directory qa-lint was started from first on sys.path; examples
    # must not import from there (the cargo-built binary's workers do not either).
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]
    from qa_lint import _native

    _native.worker()


def _entry() -> None:
    """A worker, or the command line, started on a project environment's interpreter."""
    if sys.argv[1:2] == ["__worker"]:
        _worker()
    else:
        main()


if __name__ == "__main__":
    _entry()
