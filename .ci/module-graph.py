#!/usr/bin/env python3
"""The module graph of src/: which modules import each other (a circle), file by file and
between top-level modules. `python3 .ci/module-graph.py` prints them and fails when there are
more than the limits below (docs/architecture.md: the graph is a tree but for these).
Imports are `crate::`, `super::` and `self::` paths outside comments and inline test modules.
"""
import glob, os, re, sys

# What is left, and why: claims::judge and claims::exception call each other (an exception's
# message is judged as a claim); diagnostic and rules define each other's vocabulary.
MAX_FILE_CIRCLES = 1
MAX_TOP_CIRCLES = 1

os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
# `*_tests.rs` files are `#[cfg(test)]` modules: what tests import is not the program's graph.
files = [f for f in glob.glob('src/**/*.rs', recursive=True) if not f.endswith('_tests.rs')]
def modname(p):
    p = p[len('src/'):-3]
    if p.endswith('/mod'): p = p[:-4]
    return p.replace('/', '::')
mods = {modname(f): f for f in files}
def resolve(cur, path):
    # path like crate::a::b or super::x
    parts = path.split('::')
    if parts[0] == 'crate':
        base = []
        parts = parts[1:]
    elif parts[0] in ('super', 'self'):
        base = cur.split('::')
        while parts and parts[0] == 'super':
            base = base[:-1]; parts = parts[1:]
        if parts and parts[0] == 'self': parts = parts[1:]
    else:
        return None
    # longest prefix that is a module
    for n in range(len(parts), 0, -1):
        cand = '::'.join(base + parts[:n])
        if cand in mods: return cand
    return None
edges = {}
for m, f in mods.items():
    text = open(f).read()
    text = re.sub(r'#\[cfg\(test\)\]\s*mod tests \{.*', '', text, flags=re.S)
    text = re.sub(r'//[^\n]*', '', text)
    deps = set()
    for mm in re.finditer(r'\b((?:crate|super|self)(?:::\w+)+)', text):
        d = resolve(m, mm.group(1))
        if d and d != m and not d.startswith(m + '::') and not m.startswith(d + '::'):
            deps.add(d)
    edges[m] = deps
# file-level cycles of length 2
pairs = set()
for a, ds in edges.items():
    for b in ds:
        if a in edges.get(b, ()):
            pairs.add(tuple(sorted((a, b))))
print(len(pairs), "files that import each other:"); [print(" ", " <-> ".join(p)) for p in sorted(pairs)]
# top-level module cycles
top = lambda m: m.split('::')[0]
tedges = {}
for a, ds in edges.items():
    for b in ds:
        if top(a) != top(b): tedges.setdefault(top(a), set()).add(top(b))
tp = sorted({tuple(sorted((a,b))) for a, ds in tedges.items() for b in ds if a in tedges.get(b, ())})

# strongly connected components at top level
sys.setrecursionlimit(10000)
nodes = sorted(set(tedges) | {b for v in tedges.values() for b in v})
index = {}; low = {}; st = []; on = set(); comps = []; c = [0]
def sc(v):
    index[v] = low[v] = c[0]; c[0] += 1; st.append(v); on.add(v)
    for w in tedges.get(v, ()):
        if w not in index: sc(w); low[v] = min(low[v], low[w])
        elif w in on: low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = st.pop(); on.discard(w); comp.append(w)
            if w == v: break
        if len(comp) > 1: comps.append(sorted(comp))
for v in nodes:
    if v not in index: sc(v)
print(len(comps), "circles between top-level modules:"); [print(" ", " -> ".join(c)) for c in comps]
if len(pairs) > MAX_FILE_CIRCLES or len(comps) > MAX_TOP_CIRCLES:
    sys.exit("error: the module graph has more circles than it had (see the limits in .ci/module-graph.py)")
