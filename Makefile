# SPDX-License-Identifier: GPL-2.0
# Top-level build: modules (see Kbuild), patched kvm, tools, selftests, lint, and the VM test run.
#
#   make            modules (W=1) against KDIR, patched kvm.ko (kvm/<line>/*.patch), lib/,
#                   tools/*, every tools/testing/selftests/*, the nested L2 initramfs
#   make lint       checkpatch --strict, sparse (C=2), exports, call graph
#   make check      setup, build, lint, kselftests in the VM; "N passed, M failed"
#                   (KERNEL=6.12|7 or KVER=<release>: on that kernel line)
#   make check-kernels  make check on 6.1, 6.12 and 7.x: one table, one sum (CI)
#   make check-debug  make check on the KASAN/lockdep/kmemleak kernel (no lint)
#   make debug-kernel build that kernel and the modules for it (cached)
#   make demo       setup, build, tools/demo/run-kvm-demo.sh in the VM: an
#                   introspector VM reads a Linux VM's memory via /dev/kvmmem
#   make demo-drgn  as demo, then drgn lists a live Linux VM's processes
#                   through rm-vmcore, from L1 and from an introspector VM
#   make demo-host  setup, build, tools/demo/run-demo.sh (process to process)
#   make clean      remove build products and build/
#
# KVER defaults to the newest installed Debian 6.1 kernel (scripts/setup.sh
# --print-kver); KDIR to its headers.  Both can be overridden.

SRCDIR  := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
BUILD   := $(SRCDIR)/build
SRC_TAR ?= /usr/src/linux-source-6.1.tar.xz
SRC_TOP := linux-source-6.1

# Evaluated once, on first use (so "make clean" works before setup).
ifeq ($(KERNEL),)
KVER ?= $(eval KVER := $(shell $(SRCDIR)/scripts/setup.sh --print-kver))$(KVER)
KDIR ?= /usr/src/linux-headers-$(KVER)
else
# KERNEL=6.12 or KERNEL=7 ("make KERNEL=7 modules"): another Debian kernel
# line (Documentation/kernels.rst), KVER and KDIR from scripts/setup.sh
# --kernel (for 7.x KDIR is a tree in build/kernels/, not in /usr/src).
# They replace KVER/KDIR from the environment, which may well belong to the
# default line; given on the command line they still win.
ifneq ($(origin KVER),command line)
KVER = $(eval KVER := $(shell $(SRCDIR)/scripts/setup.sh --kernel $(KERNEL) --print-kver))$(KVER)
endif
ifneq ($(origin KDIR),command line)
KDIR = $(eval KDIR := $(shell $(SRCDIR)/scripts/setup.sh --kernel $(KERNEL) --print-kdir))$(KDIR)
endif
endif
export KVER KDIR

# Targets that run scripts/setup.sh first must not pass on a KVER/KDIR
# computed before it installed the kernel (empty on a fresh machine).  Values
# given on the command line still reach sub-makes through MAKEFLAGS.
FRESH_ENV = env $(if $(filter file,$(origin KVER)),-u KVER) \
		$(if $(filter file,$(origin KDIR)),-u KDIR)

# Module folders (as in Kbuild).
MODULE_DIRS := host $(if $(wildcard $(SRCDIR)/guest/Kbuild $(SRCDIR)/guest/Makefile),guest)

# Every folder with a Makefile: selftests, and tools (demo, kvmmem, ...).
SELFTEST_DIRS := $(patsubst %/Makefile,%,$(wildcard $(SRCDIR)/tools/testing/selftests/*/Makefile))
TOOL_DIRS     := $(patsubst %/Makefile,%,$(wildcard $(SRCDIR)/tools/*/Makefile))
LIB_DIRS      := $(patsubst %/Makefile,%,$(wildcard $(SRCDIR)/lib/Makefile))
DEMO_DIR      := $(SRCDIR)/tools/demo
KVM_PATCHES   := $(wildcard $(SRCDIR)/kvm/*/*.patch)
NESTED_MKINITRAMFS := $(wildcard $(SRCDIR)/scripts/nested/mkinitramfs-l2.sh)

KSFT_FILES := kselftest_harness.h kselftest.h
CHECKPATCH_FILES := checkpatch.pl spelling.txt const_structs.checkpatch
INPUTS_STAMP := $(BUILD)/.inputs-$(notdir $(SRC_TAR)).stamp

KBUILD_ARGS = -C $(KDIR) M=$(SRCDIR) W=1

# Extra flags for the tool and selftest sub-makes (make check passes -B).
SUBMAKE_FLAGS ?=

.PHONY: all modules modules-clean kvm inputs libs tools selftests nested lint check check-kernels demo demo-drgn \
	demo-host clean kver help

all: modules kvm libs tools selftests nested

kver:
	@echo $(KVER)

# modules.order of a build for another kernel line: 6.13+ kbuild refuses to
# build with one there (it takes it for an in-tree build); kbuild rebuilds
# each object whose command line changed.
modules:
	@test -n "$(KVER)" || { echo "no kernel found: run scripts/setup.sh" >&2; exit 1; }
	rm -f $(SRCDIR)/modules.order
	$(MAKE) $(KBUILD_ARGS) modules

# Clean folder by folder: kbuild's "M=$(SRCDIR) clean" would delete every
# *.ko and *.o below the repository, build/kvm/ included.
modules-clean:
	@if [ -n "$(KVER)" ] && [ -d "$(KDIR)" ]; then \
		for d in $(MODULE_DIRS); do $(MAKE) -C $(KDIR) M=$(SRCDIR)/$$d clean; done; \
	fi
	rm -f $(addprefix $(SRCDIR)/,Module.symvers modules.order .Module.symvers.cmd .modules.order.cmd)

# kvm.ko with the hypercall hook (cached in build/kvm/; about 80 s the first time).
kvm:
	@if [ -n "$(KVM_PATCHES)" ] && [ -x $(SRCDIR)/scripts/build-kvm.sh ]; then \
		$(SRCDIR)/scripts/build-kvm.sh; \
	fi

# Build inputs from the kernel source tarball, extracted once (about 10 s):
# the kselftest harness headers and checkpatch with its data files.
inputs: $(INPUTS_STAMP)

$(INPUTS_STAMP): $(SRC_TAR)
	@echo "  EXTRACT $(notdir $(SRC_TAR)): kselftest harness, checkpatch"
	@rm -rf $(BUILD)/.src.tmp && mkdir -p $(BUILD)/.src.tmp $(BUILD)/kselftest $(BUILD)/checkpatch
	@tar -xJf $(SRC_TAR) -C $(BUILD)/.src.tmp \
		$(addprefix $(SRC_TOP)/tools/testing/selftests/,$(KSFT_FILES)) \
		$(addprefix $(SRC_TOP)/scripts/,$(CHECKPATCH_FILES))
	@cp $(addprefix $(BUILD)/.src.tmp/$(SRC_TOP)/tools/testing/selftests/,$(KSFT_FILES)) $(BUILD)/kselftest/
	@cp $(addprefix $(BUILD)/.src.tmp/$(SRC_TOP)/scripts/,$(CHECKPATCH_FILES)) $(BUILD)/checkpatch/
	@rm -rf $(BUILD)/.src.tmp
	@touch $@

# Userspace library (lib/, librmap) used by tools and selftests.
libs:
	@set -e; for d in $(LIB_DIRS); do $(MAKE) $(SUBMAKE_FLAGS) -C $$d; done

tools: inputs libs
	@set -e; for d in $(TOOL_DIRS); do $(MAKE) $(SUBMAKE_FLAGS) -C $$d; done

# modules: rm_kapi.ko links against host/'s exports (Module.symvers).
selftests: inputs libs modules
	@set -e; for d in $(SELFTEST_DIRS); do $(MAKE) $(SUBMAKE_FLAGS) -C $$d; done

# The nested L2 VMs' initramfs (guest/kvmmem.ko, static tools and tests).
nested: modules tools selftests
	@if [ -n "$(NESTED_MKINITRAMFS)" ]; then $(NESTED_MKINITRAMFS); fi

lint: inputs modules
	$(SRCDIR)/scripts/lint.sh

# make check (or demo) KERNEL=6.12 or KVER=<release>: on another line.
LINE = $(or $(KERNEL),$(if $(filter command line,$(origin KVER)),$(KVER)))
LINE_ARGS = $(if $(LINE),--kernel $(LINE))
# make demo runs on Debian's own kvm.ko (kvm_hook=ftrace); DEMO_KVM=patched
# uses the rebuilt one of scripts/build-kvm.sh instead.
DEMO_KVM ?= stock
DEMO_KVM_ENV = $(if $(filter stock,$(DEMO_KVM)),VM_RUN_KVM_DIR=)
# L1 of nested VMs keeps time with the HPET (scripts/check.sh, NESTED_APPEND).
NESTED_VM_ENV = VM_RUN_APPEND="clocksource=hpet tsc=unstable"
check:
	$(FRESH_ENV) $(SRCDIR)/scripts/check.sh $(LINE_ARGS)

# make check on 6.1, 6.12 and 7.x in turn: one table, one summed line.
check-kernels:
	$(FRESH_ENV) $(SRCDIR)/scripts/check-kernels.sh

# Debug kernel (Documentation/debug-kernel.rst): built once in
# build/debug-kernel/ (6.1) or build/debug-kernel-7/ (make check-debug KERNEL=7).
.PHONY: check-debug debug-kernel
check-debug:
	$(FRESH_ENV) $(SRCDIR)/scripts/check.sh --debug $(LINE_ARGS)

debug-kernel:
	$(SRCDIR)/scripts/build-debug-kernel.sh $(LINE_ARGS)

# The KVM demo needs the patched kvm.ko and the nested L2 initramfs: "all"
# builds both (kvm, nested).  vm-run's timeout bounds the whole run; --idle
# ends it early when L1 stops under TCG (Documentation/kernels.rst).
demo:
	$(FRESH_ENV) $(SRCDIR)/scripts/setup.sh $(LINE_ARGS)
	$(FRESH_ENV) $(MAKE) -C $(SRCDIR) all
	@if [ -x $(DEMO_DIR)/run-kvm-demo.sh ]; then \
		$(FRESH_ENV) $(DEMO_KVM_ENV) $(NESTED_VM_ENV) $(SRCDIR)/scripts/vm-run $(LINE_ARGS) --smp 1 --timeout 600 --idle 300 -- tools/demo/run-kvm-demo.sh; \
	else \
		echo "no tools/demo/run-kvm-demo.sh" >&2; exit 1; \
	fi

# drgn on a live VM (Documentation/vmi-tools.rst): python3-drgn and the
# target kernel's vmlinux from linux-image-<release>-dbg (setup-drgn.sh).
demo-drgn:
	$(FRESH_ENV) $(SRCDIR)/scripts/setup.sh $(LINE_ARGS)
	$(FRESH_ENV) $(SRCDIR)/scripts/setup-drgn.sh $(LINE_ARGS)
	$(FRESH_ENV) $(MAKE) -C $(SRCDIR) all
	$(FRESH_ENV) $(DEMO_KVM_ENV) $(NESTED_VM_ENV) $(SRCDIR)/scripts/vm-run $(LINE_ARGS) --smp 1 \
		--timeout 1800 --idle 600 -- tools/demo/run-drgn-demo.sh

demo-host:
	$(FRESH_ENV) $(SRCDIR)/scripts/setup.sh
	$(FRESH_ENV) $(MAKE) -C $(SRCDIR) all
	@if [ -x $(DEMO_DIR)/run-demo.sh ]; then \
		$(FRESH_ENV) $(SRCDIR)/scripts/vm-run -- tools/demo/run-demo.sh; \
	else \
		echo "no tools/demo/run-demo.sh" >&2; exit 1; \
	fi

clean: modules-clean
	@for d in $(LIB_DIRS) $(TOOL_DIRS) $(SELFTEST_DIRS); do $(MAKE) -C $$d clean; done
	rm -rf $(BUILD)

help:
	@sed -n '2,16p' $(SRCDIR)/Makefile | sed 's/^# \{0,1\}//'

# --- Install and DKMS (Documentation/install.rst) ------------------------------
#   make install          modules, udev rules, CLIs, man pages, librmap, uapi headers
#   make headers_install  uapi headers into $(DESTDIR)$(PREFIX)/include/linux
#   make uninstall        remove what install installed
#   make kvm-install      the patched kvm*.ko into /lib/modules/$(KVER)/updates/
#   make kvm-uninstall    remove them
#   make dkms-install     (root) DKMS packages remote-mapping and kvmmem
#   make dkms-remove      (root) remove them from DKMS and /usr/src
#   make dkms-check       dkms build in a throwaway tree under /tmp (skips without dkms)
# DESTDIR and PREFIX (default /usr/local) as usual; with DESTDIR set, depmod,
# ldconfig and udevadm are not run.  dkms-install builds for the running
# kernel unless KVER is given.
PREFIX ?= /usr/local
INSTALL_ENV = DESTDIR="$(DESTDIR)" PREFIX="$(PREFIX)"
DKMS_KVER = $(if $(filter command line environment,$(origin KVER)),$(KVER))

.PHONY: install uninstall headers_install kvm-install kvm-uninstall \
	dkms-install dkms-remove dkms-check

install: modules libs
	$(MAKE) -C $(SRCDIR)/tools/kvmmem
	$(MAKE) -C $(SRCDIR)/tools/demo
	$(INSTALL_ENV) $(SRCDIR)/scripts/install.sh install

uninstall headers_install kvm-uninstall:
	$(INSTALL_ENV) $(SRCDIR)/scripts/install.sh $@

kvm-install: kvm
	$(INSTALL_ENV) $(SRCDIR)/scripts/install.sh $@

dkms-install dkms-remove:
	KVER="$(DKMS_KVER)" $(SRCDIR)/dkms/dkms.sh $(patsubst dkms-%,%,$@)

dkms-check:
	$(SRCDIR)/dkms/dkms.sh check

# --- benchmarks (Documentation/performance.rst) ---------------------------------
#   make bench        benchmarks in the VM: table, build/bench/results.json, PNGs
#   make bench-smoke  a few seconds of it: checks it runs, prints ratios
.PHONY: bench bench-smoke
bench:
	$(FRESH_ENV) $(SRCDIR)/scripts/bench.sh

bench-smoke:
	$(FRESH_ENV) $(SRCDIR)/scripts/bench.sh --smoke
