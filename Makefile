# Bulkhead: build, test, run. `make help` lists the targets.

CROSS    ?= aarch64-linux-gnu-
CC       := $(CROSS)gcc
LD       := $(CROSS)ld
OBJCOPY  := $(CROSS)objcopy
HOSTCC   ?= cc
PYTHON   ?= /usr/bin/python3
B        := build

# --- the hypervisor image -------------------------------------------------

HV_SRCS := $(wildcard arch/arm64/*.S arch/arm64/*.c arch/arm64/vgic/*.c core/*.c devices/*.c devices/virtio/*.c drivers/*.c lib/*.c storage/*.c net/*.c)
HV_OBJS := $(patsubst %,$(B)/hv/%.o,$(HV_SRCS))
# Code that runs at boot, for an administrator's command, or on a guest's
# rare paths (its debug and PMU registers, an injected fault, PSCI, the
# balloon), never on the trap, I/O or scheduling paths make bench measures:
# built for size (-Os). With the control-flow protections on (signing, BTI
# pads, canaries: about 40 KiB) the image went from 250 to 291 KiB; this,
# the console's and the VM lifecycle's code, and the packed relocations
# (tools/pack-relocs) bring it to 252 KiB (DESIGN.md's target is 256).
HV_COLD_SRCS := $(wildcard core/shell*.c core/config*.c core/boot*.c storage/gpt*.c storage/pool_*.c \
	storage/vm_def.c lib/fdt.c core/platform.c core/guest_dt.c core/vdt.c core/elf.c core/loader.c \
	core/package.c core/firmware.c core/crash_limit.c core/log_ring.c arch/arm64/platform_arm.c \
	arch/arm64/guest_dt_arm.c arch/arm64/kernel_image.c arch/arm64/efi_stub.c arch/arm64/hv_panic.c \
	arch/arm64/debug_fault.c arch/arm64/boot.c arch/arm64/mmu.c arch/arm64/psci_fw.c \
	net/switch_list.c net/switch_registry.c net/vif_mac.c net/rate_parse.c lib/fmt.c lib/crc32.c \
	core/log.c core/vboard.c core/vm_devices.c core/vm_volumes.c core/dev_arena.c devices/pl061.c \
	devices/virtio/balloon.c arch/arm64/psci_guest.c arch/arm64/vcpu_mpidr.c \
	arch/arm64/vdebug.c arch/arm64/vpmu.c arch/arm64/inject.c core/console.c core/vm.c devices/pl011.c \
	arch/arm64/vgic/vgic_v3_regs.c core/console_out.c core/console_ring.c drivers/pl011.c)
$(patsubst %,$(B)/hv/%.o,$(HV_COLD_SRCS)): HV_CFLAGS += -Os
ASM_OFFSETS := $(B)/hv/include/asm_offsets.h

# Asked of the cross compiler when a rule runs, not when make reads this file:
# on a fresh machine `make test` installs the compiler first (deps).
CROSS_INCLUDE = $(shell $(CC) -print-file-name=include)

HV_CFLAGS = -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter \
	-ffreestanding -fno-builtin -nostdinc -isystem $(CROSS_INCLUDE) \
	-mgeneral-regs-only -mstrict-align -march=armv8-a \
	-fpie -fno-plt -fvisibility=hidden -include include/visibility.h -fstack-protector-strong -mbranch-protection=standard \
	-fno-omit-frame-pointer \
	-mno-outline-atomics -fno-strict-aliasing -fno-tree-loop-distribute-patterns -fno-common -ffunction-sections -fdata-sections \
	-Iinclude -Iarch/arm64/include -I. -MMD -MP
HV_LDFLAGS := -nostdlib -static -pie --no-dynamic-linker -z text -z max-page-size=4096 \
	--gc-sections -T arch/arm64/linker.ld

all: $(B)/bulkhead.bin host-tools guests

# It installs the return-address key and the canary (docs/security.md): its own
# functions must neither sign nor guard, or they would check under new values.
$(B)/hv/arch/arm64/cfi_boot.c.o: HV_CFLAGS += -fno-stack-protector -mbranch-protection=bti

# `make V=1` shows the full commands.
V ?= 0
ifeq ($(V),0)
Q := @
endif

# The objects are rebuilt when the flags change, not only the sources: an
# object left from before a flag (say -mbranch-protection) would link in
# without it, and a BTI-guarded image then faults on its first indirect call
# into such a function.
HV_FLAGS_STAMP := $(B)/hv/flags
# (Expanded here, once: a target's own additions, as the cold objects' -Os,
# must not leak into the stamp; the cold list is part of it instead.)
HV_FLAGS_TEXT := $(HV_CFLAGS) cold: $(HV_COLD_SRCS)
$(HV_FLAGS_STAMP): FORCE
	@mkdir -p $(dir $@)
	@echo '$(HV_FLAGS_TEXT)' | cmp -s - $@ || echo '$(HV_FLAGS_TEXT)' > $@

$(B)/hv/%.c.o: %.c $(HV_FLAGS_STAMP)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(HV_CFLAGS) -c $< -o $@

$(B)/hv/%.S.o: %.S $(ASM_OFFSETS) $(HV_FLAGS_STAMP)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AS      $<")
	$(Q)$(CC) $(filter-out -include include/visibility.h,$(HV_CFLAGS)) -I$(dir $(ASM_OFFSETS)) \
		-D__ASSEMBLY__ -c $< -o $@

# Offsets of C structures for the assembly, from the compiler: the generator is
# compiled to assembly and its "->NAME value" lines become #defines.
$(ASM_OFFSETS): arch/arm64/gen/asm_offsets.c $(HV_FLAGS_STAMP)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  GEN     $@")
	$(Q)$(CC) $(HV_CFLAGS) -MT $@ -MF $@.d -S $< -o $@.s
	$(Q){ echo "/* Generated from $< by the Makefile: do not edit. */"; \
	  echo "#ifndef BULKHEAD_ASM_OFFSETS_H"; echo "#define BULKHEAD_ASM_OFFSETS_H"; \
	  sed -n 's/^->\([A-Z0-9_]*\) #\{0,1\}\([0-9]*\)$$/#define \1 \2/p' $@.s; \
	  echo "#endif"; } > $@.tmp
	$(Q)mv $@.tmp $@

-include $(ASM_OFFSETS).d

# Linked twice: the first link's relocations, packed (tools/pack-relocs),
# go into the second as .relr, which follows every section they point into.
$(B)/hv/pass1.elf: $(HV_OBJS) arch/arm64/linker.ld
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(LD) $(HV_LDFLAGS) --fatal-warnings $(HV_OBJS) -o $@

$(B)/hv/relr.S: $(B)/hv/pass1.elf tools/pack-relocs
	$(Q)tools/pack-relocs $< > $@.tmp
	$(Q)mv $@.tmp $@

$(B)/hv/relr.o: $(B)/hv/relr.S
	$(Q)$(CC) -c $< -o $@

$(B)/bulkhead.elf: $(HV_OBJS) $(B)/hv/relr.o arch/arm64/linker.ld tools/pack-relocs
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(LD) $(HV_LDFLAGS) --fatal-warnings $(HV_OBJS) $(B)/hv/relr.o -o $@
	$(Q)tools/check-image $@
	$(Q)tools/pack-relocs --verify $@

# Without the linker's tables, which lie past the image.
$(B)/bulkhead.bin: $(B)/bulkhead.elf tools/pack-relocs
	$(Q)tools/pack-relocs --binary $< $@
	$(Q)tools/set-image-size $< $@

-include $(HV_OBJS:.o=.d)

# --- in-tree guests -------------------------------------------------------

include guests/test/build.mk
include guests/fuzz/build.mk
include guests/linux/build.mk

guests: $(GUEST_BINS)

# --- host tools -----------------------------------------------------------

HOST_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -Wno-unused-parameter -Iinclude -I.

host-tools: $(B)/host/bulkhead-config $(B)/host/bulkhead-gpt $(B)/host/bulkhead-kernel

# The VM config parser, as the hypervisor links it (its `rate=` values are the switch's).
CONFIG_SRCS := core/config.c core/config_spec.c core/config_disk.c core/config_vif.c net/rate_parse.c
CONFIG_HDRS := core/config.h core/config_spec.h core/guest_layout.h net/rate_parse.h net/rate_limit.h

$(B)/host/bulkhead-config: tools/config_check.c $(CONFIG_SRCS) $(CONFIG_HDRS)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOST_CFLAGS) tools/config_check.c $(CONFIG_SRCS) -o $@

# The hypervisor's boot planning on the host: `bulkhead check` refuses the
# kernels and ramdisks the loader would (its Image header parser is arm64's).
KERNEL_CHECK_SRCS := tools/kernel_check.c core/boot_plan.c core/elf.c arch/arm64/kernel_image.c lib/fmt.c
$(B)/host/bulkhead-kernel: $(KERNEL_CHECK_SRCS) core/boot_plan.h core/elf.h core/guest_layout.h
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOST_CFLAGS) -Iarch/arm64/include $(KERNEL_CHECK_SRCS) -o $@

# The hypervisor's GPT reader on the host: what `bulkhead pool` writes is
# checked with it (tests/integration/test_pool_tool.py).
GPT_CHECK_SRCS := tools/gpt_check.c storage/gpt.c lib/crc32.c lib/fmt.c
$(B)/host/bulkhead-gpt: $(GPT_CHECK_SRCS) storage/gpt.h lib/crc32.h
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOST_CFLAGS) $(GPT_CHECK_SRCS) -o $@

# --- tests ----------------------------------------------------------------

SAN_CFLAGS := $(HOST_CFLAGS) -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer -DHOST_TEST
include tests/unit/build.mk

unit: $(UNIT_TESTS) $(ARCH_NEUTRAL_CHECK)
	@set -e; for t in $(UNIT_TESTS); do echo "== $$t"; ./$$t; done

# Debian's kernel and busybox (downloaded once, cached under build/linux) and
# the demo's initramfs.
linux-payload: $(B)/linux/demo-initramfs.cpio.gz

$(B)/linux/Image:
	guests/linux/fetch-debian.sh

$(B)/linux/demo-initramfs.cpio.gz: $(B)/linux/Image guests/linux/demo-init.sh guests/linux/setup.sh \
		guests/linux/power-button.sh guests/linux/inittab guests/linux/banner.sh \
		guests/linux/mkinitramfs.py
	$(Q)guests/linux/mkinitramfs.py --run guests/linux/demo-init.sh --add-module ext4 -o $@ >/dev/null

# The demo Debian VM's volume (demo-data, ext4). Made once: it keeps what the
# VM writes (its boot count) from one `make run` to the next; `make clean` or
# deleting the file starts it afresh.
DEMO_POOL := $(B)/demo/pool.img
demo-pool: $(DEMO_POOL)

$(DEMO_POOL):
	tools/make-demo-pool $@

# Debian's U-Boot for QEMU (downloaded once, cached under build/uboot).
uboot-payload: $(B)/uboot/u-boot.bin

$(B)/uboot/u-boot.bin:
	guests/uboot/fetch-uboot.sh

# Two QEMU test files at a time, each file's tests on one worker (pytest-xdist,
# Debian's python3-pytest-xdist, which deps installs): the tests wait for what
# guests print, not for wall-clock deadlines, and the -icount ones use one host
# thread each. Without xdist, or with INTEGRATION_JOBS=, one at a time.
INTEGRATION_JOBS ?= $(shell $(PYTHON) -c 'import xdist' 2>/dev/null && printf '%s' '-n 2 --dist loadfile')

integration: all linux-payload uboot-payload
	$(PYTHON) -m pytest -q $(INTEGRATION_JOBS) tests/integration

# A short fuzz run in every test pass keeps the targets building and honest;
# `make fuzz` runs them longer.
fuzz-smoke:
	$(MAKE) -s -f tests/fuzz/fuzz.mk FUZZ_SECONDS=5

test: deps unit fuzz-smoke integration

FUZZ_SECONDS ?= 20
fuzz:
	$(MAKE) -f tests/fuzz/fuzz.mk FUZZ_SECONDS=$(FUZZ_SECONDS)

# The fuzz guest, long: SEEDS is a list of N or N-M; MINUTES keeps taking
# seeds past the last until that many minutes passed (docs/fuzzing.md).
SEEDS ?= 1-10
OPS ?= 20000
MINUTES ?= 0
fuzz-guest: all
	$(PYTHON) tools/fuzz_guest.py --ops $(OPS) --minutes $(MINUTES) --log-dir $(B)/fuzz-guest $(SEEDS)

# Soak under churn (tools/soak.py): MINUTES of random shell commands at four
# VMs on 2 CPUs, then checks; SOAK_SEED repeats a run's commands.
SOAK_MINUTES = $(if $(filter command line,$(origin MINUTES)),$(MINUTES),60)
soak: all linux-payload uboot-payload
	$(PYTHON) tools/soak.py --minutes $(SOAK_MINUTES) $(if $(SOAK_SEED),--seed $(SOAK_SEED)) --log $(B)/soak.log

# --- running --------------------------------------------------------------

deps:
	@tools/install-deps

run: deps all linux-payload demo-pool
	./bulkhead run --disk $(DEMO_POOL) examples/demo/*.cfg

bench: deps all linux-payload
	$(PYTHON) tools/bench.py

debug: deps all linux-payload demo-pool
	tools/debug.sh

clean:
	rm -rf $(B)

help:
	@echo "make run    install what is missing, build, boot the demo VMs under QEMU"
	@echo "make test   unit tests (ASan+UBSan) and integration tests booting QEMU"
	@echo "make bench  benchmarks under -icount (ratios and instruction counts)"
	@echo "make fuzz   libFuzzer targets for every parser of guest input"
	@echo "make fuzz-guest SEEDS=1-10 OPS=20000  the fuzz guest, seeded, on 1 and 4 vCPUs"
	@echo "make soak MINUTES=60  four VMs under random shell commands, then checks"
	@echo "make debug  QEMU halted with its gdbstub, gdb-multiarch attached"

.PHONY: all guests host-tools linux-payload demo-pool uboot-payload unit integration test fuzz fuzz-smoke fuzz-guest soak deps run bench debug clean help FORCE
FORCE:
