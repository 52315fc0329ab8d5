#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build everything the nested kvmmem e2e test needs, on the host: kvmmem.ko, the kvmmem tools and tests, the L2 initramfs.
#
# Usage: scripts/nested/build.sh
# Then: scripts/vm-run -- tools/testing/selftests/kvmmem/run_e2e.sh
# (with the patched kvm and remote_mapping.ko loaded in the VM).
# KVER/KDIR as for the top-level Makefile.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
KVER=${KVER:-$("$ROOT/scripts/setup.sh" --print-kver)}
KDIR=${KDIR:-/usr/src/linux-headers-$KVER}
export KVER

make -s -C "$ROOT" inputs
make -s -C "$KDIR" M="$ROOT/guest" W=1 modules
make -s -C "$ROOT/tools/kvmmem"
make -s -C "$ROOT/tools/testing/selftests/kvmmem"
"$ROOT/scripts/nested/mkinitramfs-l2.sh"
