# Host unit tests (cmocka, ASan+UBSan). Each test names the sources it links.
# Host builds use libc's string functions, so lib/string.c is not linked here.
#
# Every test sees tests/unit/fake_arch/, whose arch_types.h stands in for the
# real arch's: core/ code compiles against include/arch.h without any
# arch/arm64 header, and links tests/unit/fake_arch.c for its implementation.
# The optional third argument adds compiler flags for that test only.

UNIT_TESTS :=
FAKE_ARCH := tests/unit/fake_arch.c
# The arch's board calls (interrupt lines, its device-tree nodes), recorded.
FAKE_BOARD := tests/unit/fake_board.c
# What a device kind links besides its own file: the bus, the device-tree
# writer, the VM's device roles and memory, and the console it prints to.
DEVICE_DEPS := core/mmio.c core/vdt.c core/vm_devices.c core/dev_arena.c core/page_alloc.c \
	core/console_out.c core/console_ring.c core/workqueue.c lib/fdt.c lib/fmt.c $(FAKE_ARCH) $(FAKE_BOARD)
# Shared test pieces: Bulkhead's page pool for a group; log_msg keeping the
# last line, or keeping the lines for logged().
HV_POOL := tests/unit/hv_pool.c
LOG_LAST := tests/unit/log_last.c
LOG_LINES := tests/unit/log_lines.c

define unit_test
UNIT_TESTS += $(B)/unit/$(1)
$(B)/unit/$(1): tests/unit/$(1).c $(2)
	@mkdir -p $$(dir $$@)
	$$(HOSTCC) $$(SAN_CFLAGS) -Itests/unit -Itests/unit/fake_arch $(3) $$^ -lcmocka -o $$@
endef

$(eval $(call unit_test,test_fdt,lib/fdt.c))
$(eval $(call unit_test,test_config,$(CONFIG_SRCS)))
$(eval $(call unit_test,test_config_vif,$(CONFIG_SRCS)))
$(eval $(call unit_test,test_fmt,lib/fmt.c))
$(eval $(call unit_test,test_crc32,lib/crc32.c))
$(eval $(call unit_test,test_gpt,storage/gpt.c lib/crc32.c lib/fmt.c))
$(eval $(call unit_test,test_gpt_edit,storage/gpt_edit.c storage/gpt.c lib/crc32.c lib/fmt.c))
$(eval $(call unit_test,test_volume,storage/volume.c storage/pool_scan.c storage/pool_vms.c storage/vm_def.c lib/strlcpy.c $(CONFIG_SRCS) storage/gpt.c drivers/blk.c core/page_alloc.c core/workqueue.c lib/crc32.c lib/fmt.c $(FAKE_ARCH) $(HV_POOL) $(LOG_LINES)))
# The vol-create / vol-delete job over a fake disk (the test delivers its completions).
$(eval $(call unit_test,test_pool_edit,storage/pool_edit.c storage/gpt_edit.c storage/gpt.c storage/volume.c \
	drivers/blk.c core/workqueue.c lib/crc32.c lib/fmt.c $(FAKE_ARCH) $(LOG_LINES)))
$(eval $(call unit_test,test_page_alloc,core/page_alloc.c $(FAKE_ARCH)))
$(eval $(call unit_test,test_pgtable,arch/arm64/pgtable.c,-Iarch/arm64/include))
$(eval $(call unit_test,test_aarch32_cond,arch/arm64/aarch32_cond.c,-Iarch/arm64/include))
$(eval $(call unit_test,test_pl011,devices/pl011.c $(DEVICE_DEPS)))
$(eval $(call unit_test,test_pl061,devices/pl061.c $(DEVICE_DEPS)))
$(eval $(call unit_test,test_smccc,arch/arm64/smccc.c arch/arm64/psci_guest.c arch/arm64/vcpu_mpidr.c core/hypercall.c $(FAKE_ARCH),-Iarch/arm64/include))
$(eval $(call unit_test,test_package,core/package.c))
$(eval $(call unit_test,test_vm_def,storage/vm_def.c lib/fmt.c $(CONFIG_SRCS)))
$(eval $(call unit_test,test_platform,core/platform.c lib/fdt.c $(FAKE_ARCH)))
$(eval $(call unit_test,test_platform_arm,arch/arm64/platform_arm.c lib/fdt.c,-Iarch/arm64/include))
# The VM's board: its table, the registered kinds and what they link.
BOARD_DEPS := core/vboard.c core/vdev.c devices/pl011.c devices/pl061.c $(DEVICE_DEPS)
$(eval $(call unit_test,test_loader,core/loader.c core/boot_plan.c core/firmware.c core/elf.c core/guest_dt.c core/guest_mem.c core/package.c $(BOARD_DEPS)))
$(eval $(call unit_test,test_vboard,core/guest_dt.c $(BOARD_DEPS)))
$(eval $(call unit_test,test_vgic,arch/arm64/vgic/vgic.c arch/arm64/vgic/vgic_v3_regs.c $(FAKE_ARCH),-Iarch/arm64/include))
$(eval $(call unit_test,test_sched_credit,core/sched_credit.c $(FAKE_ARCH)))
$(eval $(call unit_test,test_sched,core/sched.c core/sched_credit.c core/workqueue.c $(FAKE_ARCH)))
$(eval $(call unit_test,test_console_ring,core/console_ring.c $(FAKE_ARCH)))
$(eval $(call unit_test,test_console_out,core/console_out.c core/console_ring.c core/workqueue.c lib/fmt.c $(FAKE_ARCH)))
$(eval $(call unit_test,test_mmio,core/mmio.c $(FAKE_ARCH)))
$(eval $(call unit_test,test_workqueue,core/workqueue.c $(FAKE_ARCH)))
$(eval $(call unit_test,test_guest_mem,core/guest_mem.c $(FAKE_ARCH)))
$(eval $(call unit_test,test_guest_ram,core/guest_ram.c core/page_alloc.c $(FAKE_ARCH)))
# The virtio-blk driver against a fake device (the test stands in for
# drivers/virtio_mmio_io.c, the register accesses).
$(eval $(call unit_test,test_virtio_blk,drivers/virtio_blk.c drivers/virtio_mmio_host.c drivers/blk.c \
	core/page_alloc.c core/workqueue.c core/platform.c lib/fdt.c $(FAKE_ARCH) $(HV_POOL) $(LOG_LAST)))
$(eval $(call unit_test,test_virtqueue,devices/virtio/virtqueue.c core/guest_mem.c $(FAKE_ARCH)))
$(eval $(call unit_test,test_virtio_mmio,devices/virtio/mmio.c devices/virtio/virtqueue.c core/guest_mem.c $(DEVICE_DEPS)))
# The guest's virtio-blk device on the transport; the test is the pool's volumes.
# The guest's side of both: tests/unit/virtio_blk_guest.c.
GUEST_BLK_DEPS := tests/unit/virtio_blk_guest.c devices/virtio/blk.c devices/virtio/mmio.c \
	devices/virtio/virtqueue.c core/guest_mem.c core/vdev.c $(DEVICE_DEPS)
$(eval $(call unit_test,test_virtio_blk_dev,$(GUEST_BLK_DEPS) $(LOG_LAST)))
# The same device on the real volume and block layer, down to a fake disk:
# when the guest's flush completes.
$(eval $(call unit_test,test_blk_flush,$(GUEST_BLK_DEPS) storage/volume.c drivers/blk.c))

# The gicv3 device kind against the real arm64 arch_types.h (its state lives
# in struct arch_vm): no fake arch, the test brings its own doubles.
GICV3_KIND_SRCS := arch/arm64/vgic/gicv3_kind.c arch/arm64/vgic/gicv3_dt.c \
	arch/arm64/vgic/vgic_vm.c arch/arm64/vgic/vgic.c arch/arm64/vgic/vgic_v3_regs.c \
	arch/arm64/vcpu_mpidr.c arch/arm64/guest_dt_arm.c core/vm_devices.c core/dev_arena.c core/mmio.c \
	lib/fdt.c lib/fmt.c
UNIT_TESTS += $(B)/unit/test_gicv3_kind
$(B)/unit/test_gicv3_kind: tests/unit/test_gicv3_kind.c $(GICV3_KIND_SRCS)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(SAN_CFLAGS) -Itests/unit -Iarch/arm64/include $^ -lcmocka -o $@

# Every source outside arch/ linked together with the fake arch: a call to
# something only arch/arm64 provides, or an include of one of its headers,
# fails here. This keeps core/, devices/, drivers/ and lib/ on the arch.h
# interface, including the files no unit test links.
ARCH_NEUTRAL_SRCS := $(filter-out lib/string.c,$(wildcard core/*.c devices/*.c devices/virtio/*.c drivers/*.c lib/*.c storage/*.c net/*.c))
ARCH_NEUTRAL_CHECK := $(B)/unit/arch_neutral_link

# VM lifetime: all of that, with the test as the entry point.
$(eval $(call unit_test,test_vm_ref,$(ARCH_NEUTRAL_SRCS) $(FAKE_ARCH) $(FAKE_BOARD)))

$(ARCH_NEUTRAL_CHECK): tests/unit/arch_neutral_main.c $(ARCH_NEUTRAL_SRCS) $(FAKE_ARCH) $(FAKE_BOARD)
	@mkdir -p $(dir $@)
	@if grep -n '#include.*arch/' $(ARCH_NEUTRAL_SRCS) core/*.h devices/*.h devices/virtio/*.h drivers/*.h lib/*.h storage/*.h net/*.h include/*.h; then \
		echo "arch-neutral code includes an arch/ header (above)"; exit 1; fi
	$(HOSTCC) $(SAN_CFLAGS) -Itests/unit -Itests/unit/fake_arch $^ -o $@

# The virtual switch: frames between fake ports, the MAC table, token buckets,
# the rate= parser, the registry on a host page pool.
NET_SRCS := net/switch.c net/switch_list.c net/switch_registry.c net/mac_table.c net/net_frame.c net/net_gso.c net/net_csum.c \
	net/rate_limit.c lib/fmt.c lib/strlcpy.c
$(eval $(call unit_test,test_switch,$(NET_SRCS) core/page_alloc.c $(FAKE_ARCH)))
$(eval $(call unit_test,test_net_gso,$(NET_SRCS) core/page_alloc.c $(FAKE_ARCH)))
$(eval $(call unit_test,test_rate,net/rate_parse.c net/rate_limit.c))
# The uplink: the virtio-net driver against a fake device (fake_virtio_net.c
# stands in for drivers/virtio_mmio_io.c), joined to a real switch. It probes
# a fresh NIC per test, so the registry is made bigger than the machine's.
UPLINK_SRCS := drivers/virtio_net.c drivers/net.c drivers/virtio_mmio_host.c net/uplink.c \
	core/boot_uplink.c core/boot_option.c $(CONFIG_SRCS) core/platform.c core/workqueue.c tests/unit/fake_virtio_net.c
$(eval $(call unit_test,test_virtio_net,$(UPLINK_SRCS) $(NET_SRCS) core/page_alloc.c lib/fdt.c \
	$(FAKE_ARCH) $(HV_POOL) $(LOG_LAST),-DNET_MAX_NICS=64))

# The guest's virtio-net device on the transport and a real switch; the test
# is a guest's driver (tests/unit/virtio_guest.c) and a port beside the vif.
GUEST_NET_DEPS := tests/unit/virtio_guest.c devices/virtio/net.c devices/virtio/net_hdr.c \
	devices/virtio/mmio.c devices/virtio/virtqueue.c core/guest_mem.c core/vdev.c \
	net/vif_mac.c $(filter-out lib/fmt.c,$(NET_SRCS)) $(DEVICE_DEPS)
$(eval $(call unit_test,test_virtio_net_dev,$(GUEST_NET_DEPS) $(HV_POOL)))

# The shell's switch-list on the registry's switches, and the uplink= boot option.
$(eval $(call unit_test,test_boot_option,core/boot_option.c core/boot_idle.c))
$(eval $(call unit_test,test_crash_limit,core/crash_limit.c))
$(eval $(call unit_test,test_log_ring,core/log_ring.c $(FAKE_ARCH)))
$(eval $(call unit_test,test_shell_line,core/shell_line.c lib/strlcpy.c))
$(eval $(call unit_test,test_shell_switch,core/shell_switch.c core/boot_uplink.c core/boot_option.c $(CONFIG_SRCS) \
	$(NET_SRCS) core/page_alloc.c $(FAKE_ARCH)))

# virtio-balloon with the guest's RAM from the pool: pages given back reach it.
$(eval $(call unit_test,test_virtio_balloon,tests/unit/virtio_guest.c devices/virtio/balloon.c \
	devices/virtio/mmio.c devices/virtio/virtqueue.c core/guest_mem.c core/guest_ram.c core/vm_ram.c \
	core/vdev.c $(DEVICE_DEPS) $(HV_POOL)))
