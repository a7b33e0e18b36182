#!/usr/bin/env python3
"""Seeds fuzz/corpus/<target>/ from the project's Markdown (content/, fixtures/, examples/).

markdown: each file; front_matter: files opening with `---\\n`, without that line; fix: each
file behind a seed byte; claims: each python/py/pycon block behind a seed byte.
Run from fuzz/: `python3 seed.py`.
"""
import glob, hashlib, os, re

os.chdir(os.path.dirname(os.path.abspath(__file__)))
for t in ("markdown", "claims", "front_matter", "fix"):
    os.makedirs("corpus/" + t, exist_ok=True)
mds = [p for d in ("content", "fixtures", "examples") for p in glob.glob("../%s/**/*.md" % d, recursive=True)]
blocks = 0
for p in mds:
    b = open(p, "rb").read()
    if b"\0" in b:
        continue
    h = hashlib.sha1(b).hexdigest()[:16]
    open("corpus/markdown/" + h, "wb").write(b)
    open("corpus/fix/" + h, "wb").write(b"\x00" + b)
    if b.startswith(b"---\n"):
        open("corpus/front_matter/" + h, "wb").write(b[4:])
    for m in re.finditer(r"```(?:python|py|pycon)[^\n]*\n(.*?)```", b.decode("utf-8", "replace"), re.S):
        c = m.group(1).encode()
        open("corpus/claims/" + hashlib.sha1(c).hexdigest()[:16], "wb").write(b"\x03" + c)
        blocks += 1
print("%d files, %d blocks" % (len(mds), blocks))
