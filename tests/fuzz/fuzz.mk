# libFuzzer targets for every parser of guest (and package) input.
#
#   make fuzz FUZZ_SECONDS=N     (runs: $(MAKE) -f tests/fuzz/fuzz.mk FUZZ_SECONDS=N)
#
# Every tests/fuzz/fuzz_NAME.c is built with clang, libFuzzer, ASan and UBSan
# into build/fuzz/fuzz_NAME together with the sources fuzz_NAME_SRCS lists,
# then run for FUZZ_SECONDS seconds on the corpus build/fuzz/corpus/fuzz_NAME
# (kept between runs; tests/fuzz/corpus/fuzz_NAME/ seeds it when present).
# A crash, sanitizer report, leak or failed CHECK fails the run; the input is
# saved as build/fuzz/fuzz_NAME-crash-*. Reproduce with
# `build/fuzz/fuzz_NAME build/fuzz/fuzz_NAME-crash-...`.
#
# Code that needs the arch API compiles against the fake arch's types
# (tests/unit/fake_arch/); add $(FAKE_ARCH) to a target's sources when it
# calls into it.

B            ?= build
FUZZ_SECONDS ?= 20
FUZZ_CC      ?= clang
FUZZ_DIR     := $(B)/fuzz
FAKE_ARCH    := tests/unit/fake_arch.c

FUZZ_CFLAGS := -std=gnu11 -g -O1 -Wall -Wextra -Werror -Wno-unused-parameter \
	-Iinclude -I. -Itests/unit -Itests/unit/fake_arch -DHOST_TEST \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

# Sources each target links besides its own file; NAME_CFLAGS adds flags
# (-Iarch/arm64/include for a target that links arch/arm64 code, whose
# arch_types.h is still the fake's: its directory comes first).
fuzz_config_SRCS  := core/config.c core/config_spec.c core/config_disk.c core/config_vif.c \
	net/rate_parse.c
fuzz_fdt_SRCS     := lib/fdt.c
# a device kind: the bus, the device-tree writer, its VM's roles and memory, the console
DEVICE_DEPS       := core/mmio.c core/vdt.c core/vm_devices.c core/dev_arena.c core/page_alloc.c \
	core/console_out.c core/console_ring.c core/workqueue.c lib/fdt.c lib/fmt.c $(FAKE_ARCH) \
	tests/unit/fake_board.c
fuzz_pl011_SRCS   := devices/pl011.c $(DEVICE_DEPS)
fuzz_pl061_SRCS   := devices/pl061.c $(DEVICE_DEPS)
fuzz_smccc_SRCS   := arch/arm64/smccc.c arch/arm64/psci_guest.c arch/arm64/vcpu_mpidr.c core/hypercall.c \
	$(FAKE_ARCH)
fuzz_smccc_CFLAGS := -Iarch/arm64/include
# the data-abort syndrome decode (dabt.h) on the real MMIO bus
fuzz_dabt_SRCS    := core/mmio.c $(FAKE_ARCH)
fuzz_dabt_CFLAGS  := -Iarch/arm64/include
# the trapped system-register emulation: the real arm64 types (pre-included,
# the fake's guard defined so it is skipped) and, found first by -iquote, a
# table for the registers themselves (tests/fuzz/fake_sysregs/sysregs.h)
fuzz_sysreg_SRCS   := arch/arm64/sysreg_emul.c
fuzz_sysreg_CFLAGS := -iquote tests/fuzz/fake_sysregs -iquote arch/arm64/include \
	-DBULKHEAD_FAKE_ARCH_TYPES_H -include arch/arm64/include/arch_types.h
fuzz_package_SRCS := core/package.c
# a VM definition read from a pool disk: its package head, entries and config
fuzz_vm_def_SRCS  := storage/vm_def.c core/package.c lib/fmt.c $(fuzz_config_SRCS)
fuzz_elf_SRCS     := core/elf.c
fuzz_vgic_SRCS    := arch/arm64/vgic/vgic.c arch/arm64/vgic/vgic_v3_regs.c $(FAKE_ARCH)
fuzz_vgic_CFLAGS  := -Iarch/arm64/include
fuzz_console_ring_SRCS := core/console_ring.c $(FAKE_ARCH)
fuzz_virtqueue_SRCS := devices/virtio/virtqueue.c core/guest_mem.c $(FAKE_ARCH)
fuzz_virtio_mmio_SRCS := devices/virtio/mmio.c devices/virtio/virtqueue.c core/guest_mem.c $(DEVICE_DEPS)
fuzz_virtio_blk_SRCS := devices/virtio/blk.c devices/virtio/mmio.c devices/virtio/virtqueue.c \
	core/guest_mem.c core/vdev.c $(DEVICE_DEPS)
fuzz_virtio_net_SRCS := devices/virtio/net.c devices/virtio/net_hdr.c net/net_csum.c devices/virtio/mmio.c \
	devices/virtio/virtqueue.c core/guest_mem.c core/vdev.c net/vif_mac.c net/switch.c \
	net/switch_list.c net/switch_registry.c net/mac_table.c net/net_frame.c net/net_gso.c net/rate_limit.c \
	lib/strlcpy.c $(DEVICE_DEPS)
# the balloon with the VM's RAM from the pool: pages it takes and gives really move
fuzz_virtio_balloon_SRCS := devices/virtio/balloon.c devices/virtio/mmio.c devices/virtio/virtqueue.c \
	core/guest_mem.c core/guest_ram.c core/vm_ram.c core/vdev.c $(DEVICE_DEPS)
fuzz_gpt_SRCS     := storage/gpt.c storage/gpt_edit.c lib/crc32.c lib/fmt.c
# the boot scan and the vol-create / vol-delete job over an asynchronous fake disk
fuzz_pool_SRCS    := storage/pool_scan.c storage/pool_vms.c storage/vm_def.c lib/strlcpy.c $(fuzz_config_SRCS) storage/pool_edit.c storage/gpt.c storage/gpt_edit.c \
	storage/volume.c drivers/blk.c core/page_alloc.c core/workqueue.c lib/crc32.c lib/fmt.c \
	$(FAKE_ARCH)
fuzz_switch_SRCS  := net/switch.c net/switch_list.c net/mac_table.c net/net_frame.c net/net_gso.c net/net_csum.c net/rate_limit.c \
	lib/fmt.c lib/strlcpy.c $(FAKE_ARCH)
# the uplink driver on a fake device (which stands in for drivers/virtio_mmio_io.c) and a real switch
# (the target includes drivers/net.c itself, to empty the NIC registry between runs)
fuzz_uplink_rx_SRCS := drivers/virtio_net.c drivers/virtio_mmio_host.c net/uplink.c \
	net/net_csum.c core/boot_uplink.c core/boot_option.c core/config.c core/config_spec.c core/config_disk.c \
	core/config_vif.c net/rate_parse.c core/platform.c core/workqueue.c core/page_alloc.c \
	tests/unit/fake_virtio_net.c net/switch.c net/switch_list.c net/switch_registry.c net/mac_table.c \
	net/net_frame.c net/net_gso.c net/rate_limit.c lib/fmt.c lib/strlcpy.c lib/fdt.c $(FAKE_ARCH)

FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,%,$(sort $(wildcard tests/fuzz/fuzz_*.c)))
# Headers are not tracked per file: any change rebuilds every target.
FUZZ_HDRS := $(wildcard include/*.h core/*.h lib/*.h devices/*.h devices/virtio/*.h storage/*.h net/*.h tests/unit/*.h \
	tests/unit/fake_arch/*.h arch/arm64/include/*.h tests/fuzz/fake_sysregs/*.h)

run: $(addprefix run-,$(FUZZ_TARGETS))
build: $(addprefix $(FUZZ_DIR)/,$(FUZZ_TARGETS))

define fuzz_target
$(FUZZ_DIR)/$(1): tests/fuzz/$(1).c $$($(1)_SRCS) $$(FUZZ_HDRS) tests/fuzz/fuzz.mk
	@mkdir -p $$(dir $$@)
	@echo "  FUZZCC  $$@"
	@$$(FUZZ_CC) $$(FUZZ_CFLAGS) $$($(1)_CFLAGS) $$(filter %.c,$$^) -o $$@

# The fuzzer's chatter goes to build/fuzz/NAME.log; on failure its tail is shown.
run-$(1): $(FUZZ_DIR)/$(1)
	@mkdir -p $(FUZZ_DIR)/corpus/$(1)
	@if $(FUZZ_DIR)/$(1) -max_total_time=$$(FUZZ_SECONDS) -print_final_stats=1 \
		-artifact_prefix=$(FUZZ_DIR)/$(1)- \
		$(FUZZ_DIR)/corpus/$(1) $$(wildcard tests/fuzz/corpus/$(1)) \
		> $(FUZZ_DIR)/$(1).log 2>&1; then \
		echo "fuzz $(1): ok, $$$$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' $(FUZZ_DIR)/$(1).log) runs in $$(FUZZ_SECONDS) s"; \
	else \
		tail -n 40 $(FUZZ_DIR)/$(1).log; echo "fuzz $(1): FAILED (log: $(FUZZ_DIR)/$(1).log)"; exit 1; \
	fi
endef

$(foreach t,$(FUZZ_TARGETS),$(eval $(call fuzz_target,$(t))))

.PHONY: run build $(addprefix run-,$(FUZZ_TARGETS))
