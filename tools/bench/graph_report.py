#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Sum a function_graph trace into a call tree with time per call and share.

Usage: graph_report.py TRACE [--unit FUNC] [--min-share PCT]

TRACE is tracefs's trace of the function_graph tracer (the default
columns: CPU, duration, calls; funcgraph-irqs off).  Calls are summed by
their path from a root of the trace; each line gives the calls, their
mean time, the time per call of the unit function (--unit, default the
roots) and the share of all roots' time.  The tracer's own cost is in
every figure: compare shares, not absolute times.
"""
import argparse
import collections
import re
import sys

LINE = re.compile(r'^\s*(\d+)\)\s+(?:[+!#*@$]\s*)?([0-9.]+ us)?\s*\|\s?(.*)$')


class Node:
    def __init__(self):
        self.calls = 0
        self.ns = 0.0
        self.kids = collections.OrderedDict()


def parse(path):
    root = Node()
    stacks = collections.defaultdict(list)     # cpu -> [(name, Node)]
    unknown = 0
    with open(path, errors='replace') as f:
        for line in f:
            m = LINE.match(line)
            if not m:
                continue
            cpu, dur, body = m.group(1), m.group(2), m.group(3)
            indent = len(body) - len(body.lstrip())
            body = body.strip()
            stack = stacks[cpu]
            if not stack and indent > 2:
                unknown += 1            # inside a call entered before
                continue
            parent = stack[-1][1] if stack else root
            if body.endswith('{'):
                name = re.sub(r'\(\)$', '', body[:-1].strip())
                node = parent.kids.setdefault(name, Node())
                stack.append((name, node))
            elif body.startswith('}'):
                if not stack:
                    unknown += 1
                    continue
                _, node = stack.pop()
                if dur:
                    node.calls += 1
                    node.ns += float(dur.split()[0]) * 1000
            elif body.endswith(';') and dur:
                name = re.sub(r'\(\);$', '', body).strip()
                node = parent.kids.setdefault(name, Node())
                node.calls += 1
                node.ns += float(dur.split()[0]) * 1000
    return root, unknown


def count(node, func):
    n = 0
    for name, kid in node.kids.items():
        if name.split(' ')[0] == func:
            n += kid.calls
        n += count(kid, func)
    return n


def show(node, depth, total, units, min_share, out):
    for name, kid in sorted(node.kids.items(), key=lambda kv: -kv[1].ns):
        if not kid.calls:
            continue
        share = 100.0 * kid.ns / total if total else 0.0
        if share < min_share:
            continue
        out.write('%7d %10.2f %10.2f %6.1f%%  %s%s\n' %
                  (kid.calls, kid.ns / kid.calls / 1000,
                   kid.ns / units / 1000, share, '  ' * depth, name))
        show(kid, depth + 1, total, units, min_share, out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('trace')
    ap.add_argument('--unit')
    ap.add_argument('--min-share', type=float, default=0.5)
    a = ap.parse_args()
    root, unknown = parse(a.trace)
    total = sum(k.ns for k in root.kids.values())
    roots = sum(k.calls for k in root.kids.values())
    units = count(root, a.unit) if a.unit else roots
    if not units:
        sys.exit('graph_report: no call of %s in %s' %
                 (a.unit or 'any function', a.trace))
    print('# %d root calls, %.3f ms in them; per-unit column: per call of %s (%d)'
          % (roots, total / 1e6, a.unit or 'a root', units))
    if unknown:
        print('# %d lines of calls entered before the trace started, left out'
              % unknown)
    print('%7s %10s %10s %7s  %s' % ('calls', 'us/call', 'us/unit', 'share',
                                     'function'))
    show(root, 0, total, units, a.min_share, sys.stdout)


if __name__ == '__main__':
    main()
