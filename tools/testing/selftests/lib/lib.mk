# SPDX-License-Identifier: GPL-2.0
# The selftests' shared library, included by each suite's Makefile:
#   rm_util, rm_harness.h   /dev/remote_mapping helpers and the fixture
#   ra_common.h             helpers of the abuse suites
#   tiny_vm                 KVM VMs in real mode made by the test itself
#   hc_vm                   the same in long mode, for hypercall abuse
SELFTEST_LIB := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
CFLAGS += -I$(SELFTEST_LIB)

RM_LIB_SRCS := $(SELFTEST_LIB)/rm_util.c
RM_LIB_HDRS := $(SELFTEST_LIB)/rm_util.h $(SELFTEST_LIB)/rm_harness.h \
	       $(SELFTEST_LIB)/ra_common.h
TVM_LIB_SRCS := $(SELFTEST_LIB)/tiny_vm.c
TVM_LIB_HDRS := $(SELFTEST_LIB)/tiny_vm.h
HV_LIB_SRCS := $(SELFTEST_LIB)/hc_vm.c $(TVM_LIB_SRCS)
HV_LIB_HDRS := $(SELFTEST_LIB)/hc_vm.h $(TVM_LIB_HDRS)
