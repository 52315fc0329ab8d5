#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""List a Linux kernel's tasks (pid, comm) with drgn's own helpers.

Usage: drgn_ps.py CORE VMLINUX [--repeat N] [--wait-comm NAME] [--timeout S]

CORE is an ELF vmcore, here rm-vmcore's live view of a VM
(Documentation/vmi-tools.rst); VMLINUX the target kernel's debug image
(linux-image-<release>-dbg).  Prints, one per line:
  DRGN: LOADED <seconds to load the core and the debug info>
  DRGN: LIST <k> <seconds for the listing> <number of tasks>
  DRGN: TASK <k> <pid> <comm>         (one per task)
  DRGN: END <k>
--repeat N lists N times (the timing of each is a "ps" of the live VM).
--wait-comm NAME then lists again every half second until a task NAME
shows (or --timeout S passes): the view follows the live VM.
"""
import argparse
import sys
import time

import drgn
from drgn.helpers.linux.pid import for_each_task


def listing(prog):
    t0 = time.monotonic()
    tasks = [(t.pid.value_(), t.comm.string_().decode(errors='replace'))
             for t in for_each_task(prog)]
    return time.monotonic() - t0, tasks


def show(k, secs, tasks):
    print(f'DRGN: LIST {k} {secs:.3f} {len(tasks)}')
    for pid, comm in tasks:
        print(f'DRGN: TASK {k} {pid} {comm}')
    print(f'DRGN: END {k}', flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('core')
    ap.add_argument('vmlinux')
    ap.add_argument('--repeat', type=int, default=1)
    ap.add_argument('--wait-comm')
    ap.add_argument('--timeout', type=float, default=120)
    a = ap.parse_args()

    t0 = time.monotonic()
    prog = drgn.Program()
    prog.set_core_dump(a.core)
    prog.load_debug_info([a.vmlinux])
    print(f'DRGN: LOADED {time.monotonic() - t0:.3f}', flush=True)
    k = 0
    for _ in range(a.repeat):
        k += 1
        show(k, *listing(prog))
    if a.wait_comm:
        deadline = time.monotonic() + a.timeout
        while True:
            k += 1
            secs, tasks = listing(prog)
            if any(c == a.wait_comm for _, c in tasks) or \
               time.monotonic() > deadline:
                show(k, secs, tasks)
                break
            time.sleep(0.5)
    return 0


if __name__ == '__main__':
    sys.exit(main())
