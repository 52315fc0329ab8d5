#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Which files of a module call which, from their object files' symbols.

Usage: callgraph.py DIR [--main FILE.o]
Prints the edges (caller -> callee: symbols) and fails if the graph has a
circle other than through the main file's init/exit calls and the globals
it defines (workqueue, counters).
"""
import subprocess
import sys
from pathlib import Path


def symbols(obj):
    out = subprocess.run(['nm', str(obj)], capture_output=True, text=True,
                         check=True).stdout
    defined, undefined = set(), set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == 'U':
            undefined.add(parts[1])
        elif len(parts) == 3 and parts[1] in 'TDBRG':
            defined.add(parts[2])
    return defined, undefined


def sccs(nodes, edges):
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            out.append(sorted(comp))

    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return out


def main():
    args = sys.argv[1:]
    mainobj = 'rm_main.o'
    if '--main' in args:
        i = args.index('--main')
        mainobj = args[i + 1]
        del args[i:i + 2]
    d = Path(args[0])
    objs = [o for o in sorted(d.glob('*.o'))
            if not o.name.endswith('.mod.o') and
            (d / (o.stem + '.c')).exists()]
    defs, undefs = {}, {}
    for o in objs:
        defs[o.name], undefs[o.name] = symbols(o)
    owner = {s: f for f, ss in defs.items() for s in ss}
    edges, why = {}, {}
    for f, us in undefs.items():
        for s in us:
            g = owner.get(s)
            if not g or g == f:
                continue
            # init/exit from the main file, and its globals used by all
            if f == mainobj and (s.endswith('_init') or s.endswith('_exit')):
                continue
            edges.setdefault(f, set()).add(g)
            why.setdefault((f, g), set()).add(s)
    for (f, g), ss in sorted(why.items()):
        print(f'{f[:-2]} -> {g[:-2]}: {" ".join(sorted(ss))}')
    bad = [c for c in sccs(defs.keys(), edges) if len(c) > 1]
    for c in bad:
        print('circle: ' + ' '.join(x[:-2] for x in c), file=sys.stderr)
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
