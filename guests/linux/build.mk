# Host-built helpers that go into Linux guests' initramfs images.
LINUX_TOOLS := $(B)/linux/cntvct

$(B)/linux/cntvct: guests/linux/cntvct.S
	@mkdir -p $(dir $@)
	$(Q)$(CC) -nostdlib -static -Wl,--build-id=none $< -o $@

GUEST_BINS += $(LINUX_TOOLS)
