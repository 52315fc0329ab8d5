# SPDX-License-Identifier: GPL-2.0
# Top-level build: modules (see Kbuild), selftests, lint, and the VM test run.
#
#   make            modules (W=1) against KDIR, selftests, demo binary
#   make lint       checkpatch --strict and sparse (C=2)
#   make check      setup, build, lint, kselftests in the VM; "N passed, M failed"
#   make demo       setup, build, tools/demo/run-demo.sh in the VM
#   make clean
#
# KVER defaults to the newest installed Debian 6.1 kernel (scripts/setup.sh
# --print-kver); KDIR to its headers.  Both can be overridden.

SRCDIR  := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
BUILD   := $(SRCDIR)/build
SRC_TAR ?= /usr/src/linux-source-6.1.tar.xz
SRC_TOP := linux-source-6.1

# Evaluated once, on first use (so "make clean" works before setup).
KVER ?= $(eval KVER := $(shell $(SRCDIR)/scripts/setup.sh --print-kver))$(KVER)
KDIR ?= /usr/src/linux-headers-$(KVER)

SELFTEST_DIR := $(SRCDIR)/tools/testing/selftests/remote_mapping
DEMO_DIR     := $(SRCDIR)/tools/demo

KSFT_FILES := kselftest_harness.h kselftest.h
CHECKPATCH_FILES := checkpatch.pl spelling.txt const_structs.checkpatch
INPUTS_STAMP := $(BUILD)/.inputs-$(notdir $(SRC_TAR)).stamp

KBUILD_ARGS = -C $(KDIR) M=$(SRCDIR) W=1

.PHONY: all modules modules-clean inputs selftests demo-bin lint check demo clean kver help

# Extra flags for the selftest and demo sub-makes (make check passes -B).
SUBMAKE_FLAGS ?=

all: modules selftests demo-bin

kver:
	@echo $(KVER)

modules:
	@test -n "$(KVER)" || { echo "no kernel found: run scripts/setup.sh" >&2; exit 1; }
	$(MAKE) $(KBUILD_ARGS) modules

modules-clean:
	@if [ -n "$(KVER)" ] && [ -d "$(KDIR)" ]; then $(MAKE) -C $(KDIR) M=$(SRCDIR) clean; fi

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

selftests: inputs
	@if [ -f $(SELFTEST_DIR)/Makefile ]; then \
		$(MAKE) $(SUBMAKE_FLAGS) -C $(SELFTEST_DIR); \
	else \
		echo "  SKIP    selftests (no $(SELFTEST_DIR:$(SRCDIR)/%=%)/Makefile yet)"; \
	fi

demo-bin:
	@if [ -f $(DEMO_DIR)/Makefile ]; then $(MAKE) $(SUBMAKE_FLAGS) -C $(DEMO_DIR); fi

lint: inputs modules
	$(SRCDIR)/scripts/lint.sh

check:
	$(SRCDIR)/scripts/check.sh

demo:
	$(SRCDIR)/scripts/setup.sh
	$(MAKE) -C $(SRCDIR) all
	@if [ -x $(DEMO_DIR)/run-demo.sh ]; then \
		$(SRCDIR)/scripts/vm-run -- tools/demo/run-demo.sh; \
	else \
		echo "no tools/demo/run-demo.sh" >&2; exit 1; \
	fi

clean: modules-clean
	@if [ -f $(SELFTEST_DIR)/Makefile ]; then $(MAKE) -C $(SELFTEST_DIR) clean; fi
	@if [ -f $(DEMO_DIR)/Makefile ]; then $(MAKE) -C $(DEMO_DIR) clean; fi
	rm -rf $(BUILD)

help:
	@sed -n '2,11p' $(SRCDIR)/Makefile | sed 's/^# \{0,1\}//'
