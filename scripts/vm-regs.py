#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Where a test VM's vCPUs are: for a VM that stopped making progress.

Usage: vm-regs.py RUNDIR [SYSTEM.MAP]
Asks the QEMU monitor at RUNDIR/mon.sock for every vCPU's registers, prints
them, then each vCPU's RIP as a symbol: of the kernel (System.map, shifted
by the KASLR offset the guest wrote to RUNDIR/text) or of a module
(RUNDIR/modules, the guest's /proc/modules).
"""
import bisect
import re
import socket
import sys
import time


def monitor(path, cmd):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(path)
    out = b''
    deadline = time.time() + 10
    s.sendall(cmd.encode() + b'\n')
    while time.time() < deadline:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        out += chunk
        if out.count(b'(qemu)') >= 2:
            break
    s.close()
    return out.decode(errors='replace')


def kernel_symbols(sysmap):
    syms = []
    with open(sysmap) as f:
        for line in f:
            a, t, n = line.split()[:3]
            if t in 'tTwW':
                syms.append((int(a, 16), n))
    syms.sort()
    return syms


def main():
    rundir = sys.argv[1]
    regs = monitor(rundir + '/mon.sock', 'info registers -a')
    print(regs)
    rips = re.findall(r'[ER]IP=([0-9a-f]{8,16})', regs)
    syms, shift = [], 0
    if len(sys.argv) > 2:
        try:
            syms = kernel_symbols(sys.argv[2])
            text = open(rundir + '/text').read().split()[0]
            static = dict((n, a) for a, n in syms).get('_text')
            shift = int(text, 16) - static if static else 0
        except (OSError, ValueError, IndexError):
            pass
    mods = []
    try:
        for line in open(rundir + '/modules'):
            f = line.split()
            base = [x for x in f if x.startswith('0x')]
            if base:
                mods.append((int(base[0], 16), int(f[1]), f[0]))
    except (OSError, ValueError, IndexError):
        pass
    addrs = [a + shift for a, _ in syms]
    for cpu, rip in enumerate(rips):
        r = int(rip, 16)
        where = '?'
        for base, size, name in mods:
            if base <= r < base + size:
                where = f'[{name}]+{r - base:#x}'
        if where == '?' and addrs and addrs[0] <= r < addrs[-1] + 0x200000:
            i = bisect.bisect_right(addrs, r) - 1
            where = f'{syms[i][1]}+{r - addrs[i]:#x}'
        elif where == '?':
            where = '(not this kernel: a nested guest, or user space)'
        print(f'vm-regs: CPU {cpu} RIP {rip} {where}')


if __name__ == '__main__':
    main()
