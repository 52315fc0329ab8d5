#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
# Find linux_banner in a bzImage (Debian ships no real System.map): print its addresses as shell assignments.
#
# Usage: scripts/nested/banner-gpa.py /boot/vmlinuz-KVER KVER
# Decompresses the bzImage payload (xz, gzip or zstd via the zstd tool),
# finds the one "Linux version KVER (... #N ..." string in the vmlinux ELF
# and prints
#   BANNER_VADDR=0x...   its virtual address
#   BANNER_GPA=0x...     its physical address with the kernel not relocated
#                        (nokaslr: loaded at the ELF's p_paddr)
#   BANNER_TEXT='...'    the banner up to its newline
# Exits 1 if the string is missing or ambiguous, or the physical address
# is not BANNER_VADDR - 0xffffffff80000000 (__START_KERNEL_map).
import gzip
import lzma
import re
import shlex
import struct
import subprocess
import sys

START_KERNEL_MAP = 0xffffffff80000000


def die(msg):
    print('banner-gpa: ' + msg, file=sys.stderr)
    sys.exit(1)


def payload(image):
    if image[0x202:0x206] != b'HdrS':
        die('not a bzImage')
    setup_sects = image[0x1f1] or 4
    off, length = struct.unpack_from('<II', image, 0x248)
    data = image[(setup_sects + 1) * 512 + off:][:length]
    if data.startswith(b'\xfd7zXZ'):
        return lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(data)
    if data.startswith(b'\x1f\x8b'):
        return gzip.GzipFile(fileobj=__import__('io').BytesIO(data)).read()
    if data.startswith(b'\x28\xb5\x2f\xfd'):
        return subprocess.run(['zstd', '-dcq'], input=data[:-4],
                              stdout=subprocess.PIPE, check=True).stdout
    die('unknown payload compression')


def main():
    if len(sys.argv) != 3:
        die('usage: banner-gpa.py VMLINUZ KVER')
    with open(sys.argv[1], 'rb') as f:
        elf = payload(f.read())
    if elf[:4] != b'\x7fELF' or elf[4] != 2:
        die('payload is not an ELF64 vmlinux')

    # 6.1 also links a __weak placeholder banner with an empty build
    # number ("... # SMP ..."); the real one has "#<n>".
    needle = b'Linux version ' + sys.argv[2].encode() + b' ('
    offs = []
    i = elf.find(needle)
    while i >= 0:
        line = elf[i:elf.index(b'\n', i)]
        if re.search(rb'\) #[0-9]', line):
            offs.append(i)
        i = elf.find(needle, i + 1)
    if len(offs) != 1:
        die('%d banners with a build number in vmlinux' % len(offs))
    off = offs[0]
    text = elf[off:elf.index(b'\n', off)].decode()

    phoff, = struct.unpack_from('<Q', elf, 0x20)
    phentsize, phnum = struct.unpack_from('<HH', elf, 0x36)
    for n in range(phnum):
        p_type, _, p_offset, p_vaddr, p_paddr, p_filesz = \
            struct.unpack_from('<IIQQQQ', elf, phoff + n * phentsize)
        if p_type == 1 and p_offset <= off < p_offset + p_filesz:
            vaddr = p_vaddr + off - p_offset
            paddr = p_paddr + off - p_offset
            break
    else:
        die('banner is in no PT_LOAD segment')
    if paddr != vaddr - START_KERNEL_MAP:
        die('paddr 0x%x != vaddr 0x%x - __START_KERNEL_map' % (paddr, vaddr))
    print('BANNER_VADDR=0x%x' % vaddr)
    print('BANNER_GPA=0x%x' % paddr)
    print('BANNER_TEXT=%s' % shlex.quote(text))


main()
