"""A PEP 517 backend for a package with no code: a wheel that only carries metadata, so pip
installs its dependency (the qa-lint wheel) and nothing else, without downloading setuptools.
"""

import ast
import base64
import hashlib
import os
import sys
import zipfile

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.9 and 3.10 have no TOML parser; the file is simple enough to read by hand.
    tomllib = None

_HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _project():
    with open(os.path.join(_HERE, "pyproject.toml"), "rb") as f:
        text = f.read().decode("utf-8")
    if tomllib is not None:
        return tomllib.loads(text)["project"]
    project, section = {}, None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("["):
            section = line
        elif section == "[project]" and "=" in line:
            key, value = (p.strip() for p in line.split("=", 1))
            project[key] = ast.literal_eval(value)
    return project


def _metadata():
    p = _project()
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {p['name']}",
        f"Version: {p['version']}",
        f"Summary: {p.get('description', '')}",
        f"Requires-Python: {p.get('requires-python', '')}",
    ]
    lines += [f"Requires-Dist: {d}" for d in p.get("dependencies", [])]
    return p, "\n".join(lines) + "\n"


def _dist_info(p):
    return f"{p['name'].replace('-', '_')}-{p['version']}.dist-info"


def get_requires_for_build_wheel(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    p, metadata = _metadata()
    d = os.path.join(metadata_directory, _dist_info(p))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "METADATA"), "w", encoding="utf-8") as f:
        f.write(metadata)
    return _dist_info(p)


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    p, metadata = _metadata()
    info = _dist_info(p)
    name = f"{p['name'].replace('-', '_')}-{p['version']}-py3-none-any.whl"
    files = {
        f"{info}/METADATA": metadata,
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: qa-lint-pre-commit\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as z:
        for path, text in files.items():
            data = text.encode("utf-8")
            z.writestr(path, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append(f"{path},sha256={digest},{len(data)}")
        record.append(f"{info}/RECORD,,")
        z.writestr(f"{info}/RECORD", "\n".join(record) + "\n")
    return name
