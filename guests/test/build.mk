# The in-tree test guest: a bare-metal EL1 program packaged as a Linux arm64
# Image, linked position-independent so it runs wherever it is loaded.
# Included by the top-level Makefile (which defines CC, LD, OBJCOPY, CROSS, B).

TG_DIR := guests/test
TG_OUT := $(B)/guests/test
TG_BIN := $(TG_OUT)/test.bin
TG_ELF := $(TG_OUT)/test.elf
TG_LDS := $(TG_DIR)/guest.ld

TG_C_OBJS := $(patsubst $(TG_DIR)/%.c,$(TG_OUT)/%.o,$(wildcard $(TG_DIR)/*.c))
TG_S_OBJS := $(patsubst $(TG_DIR)/%.S,$(TG_OUT)/%.S.o,$(wildcard $(TG_DIR)/*.S))
TG_LIB_OBJS := $(TG_OUT)/lib/fdt.o $(TG_OUT)/lib/string.o $(TG_OUT)/lib/strlcpy.o $(TG_OUT)/lib/fmt.o
TG_OBJS := $(TG_S_OBJS) $(TG_C_OBJS) $(TG_LIB_OBJS)

TG_CFLAGS = -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter \
	-ffreestanding -fno-builtin -nostdinc -isystem $(CROSS_INCLUDE) \
	-mgeneral-regs-only -mstrict-align -march=armv8-a -mno-outline-atomics \
	-fpie -fno-plt -fvisibility=hidden -fno-stack-protector -fno-common \
	-fno-asynchronous-unwind-tables -fno-unwind-tables \
	-Iinclude -I. -MMD -MP
TG_LDFLAGS := -nostdlib -static -pie --no-dynamic-linker -z text -z max-page-size=4096 \
	--no-warn-rwx-segments -T $(TG_LDS)

GUEST_BINS += $(TG_BIN)

$(TG_C_OBJS): $(TG_OUT)/%.o: $(TG_DIR)/%.c
	@mkdir -p $(dir $@)
	$(CC) $(TG_CFLAGS) -c $< -o $@

$(TG_S_OBJS): $(TG_OUT)/%.S.o: $(TG_DIR)/%.S
	@mkdir -p $(dir $@)
	$(CC) $(TG_CFLAGS) -D__ASSEMBLY__ -c $< -o $@

$(TG_LIB_OBJS): $(TG_OUT)/lib/%.o: lib/%.c
	@mkdir -p $(dir $@)
	$(CC) $(TG_CFLAGS) -c $< -o $@

# head.S applies only R_AARCH64_RELATIVE, so any other dynamic relocation
# would leave a pointer wrong at run time: refuse to produce such an image.
$(TG_ELF): $(TG_OBJS) $(TG_LDS)
	$(LD) $(TG_LDFLAGS) $(TG_OBJS) -o $@
	@if $(CROSS)readelf -rW $@ | grep -E 'R_AARCH64_' | grep -v R_AARCH64_RELATIVE; then \
		echo "$@: relocations other than R_AARCH64_RELATIVE" >&2; rm -f $@; exit 1; fi

$(TG_BIN): $(TG_ELF)
	$(OBJCOPY) -O binary $< $@

-include $(TG_OBJS:.o=.d)
