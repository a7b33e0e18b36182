"""Check content/ on every supported CPython this machine has: `nox` (or `nox -s content-3.12`).

One abi3 wheel serves every version, so it is built once (`dist/`) and installed into each
session's virtualenv; the examples then run on that session's interpreter, which the summary
line names. Versions that are not installed are skipped, not failed.
"""

import glob
import os

import nox

PYTHONS = ["3.9", "3.10", "3.11", "3.12", "3.13"]
nox.options.sessions = ["content"]
nox.options.error_on_missing_interpreters = False
ROOT = os.path.dirname(os.path.abspath(__file__))

# nox looks for `python3.X` on PATH; pyenv installs versions side by side without putting them
# there, so add each installed version's bin directory after what PATH already has.
_pyenv = os.path.join(os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv")), "versions")
if os.path.isdir(_pyenv):
    _extra = [os.path.join(_pyenv, v, "bin") for v in sorted(os.listdir(_pyenv))]
    os.environ["PATH"] = os.pathsep.join([os.environ.get("PATH", "")] + _extra)


def _wheel(session):
    """The abi3 wheel of this checkout, built on first use (set QA_LINT_WHEEL_DIR to reuse one)."""
    out = os.environ.get("QA_LINT_WHEEL_DIR") or os.path.join(ROOT, "dist")
    wheels = sorted(glob.glob(os.path.join(out, "qa_lint-*-abi3-*.whl")))
    if not wheels:
        session.install("maturin>=1.5,<2")
        session.run("maturin", "build", "--release", "--out", out, external=False)
        wheels = sorted(glob.glob(os.path.join(out, "qa_lint-*-abi3-*.whl")))
    return wheels[-1]


@nox.session(python=PYTHONS)
def content(session):
    session.install(_wheel(session))
    # A cache per interpreter: the keys include the Python version anyway, this keeps each
    # session's directory small.
    cache = os.path.join(ROOT, ".qa-lint-cache", "nox-" + session.python)
    session.run("qa-lint", "--cache-dir", cache, *(session.posargs or ["content/"]))
