# Host-built helpers that go into Linux guests' initramfs images.
LINUX_TOOLS := $(B)/linux/cntvct $(B)/linux/blkbench $(B)/linux/perfcount $(B)/linux/netflood

$(B)/linux/cntvct: guests/linux/cntvct.S
	@mkdir -p $(dir $@)
	$(Q)$(CC) -nostdlib -static -Wl,--build-id=none $< -o $@

# The storage benchmark (tools/bench.py): static, with no C library.
$(B)/linux/blkbench: guests/linux/blkbench.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) -std=gnu11 -O2 -Wall -Wextra -Werror -ffreestanding -fno-builtin -fno-stack-protector \
		-nostdlib -static -Wl,--build-id=none $< -o $@

# The PMU check of a Linux guest (tests/integration/test_pmu.py): the same way.
$(B)/linux/perfcount: guests/linux/perfcount.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) -std=gnu11 -O2 -Wall -Wextra -Werror -ffreestanding -fno-builtin -fno-stack-protector \
		-nostdlib -static -Wl,--build-id=none $< -o $@

# The switch fairness test's flooder (tests/integration/test_net_rate.py).
$(B)/linux/netflood: guests/linux/netflood.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) -std=gnu11 -O2 -Wall -Wextra -Werror -ffreestanding -fno-builtin -fno-stack-protector \
		-nostdlib -static -Wl,--build-id=none $< -o $@

GUEST_BINS += $(LINUX_TOOLS)
