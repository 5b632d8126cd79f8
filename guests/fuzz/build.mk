# The fuzz guest: a bare-metal EL1 program that throws random traps at the
# hypervisor (guests/fuzz/README in docs/fuzzing.md). It shares the test
# guest's boot path (head.S, vectors, console, DT, MMU, PSCI, SMP entry): those
# files are compiled again here, so both guests run the same early code.
# Included by the top-level Makefile after guests/test/build.mk (TG_* flags).

FG_DIR := guests/fuzz
FG_OUT := $(B)/guests/fuzz
FG_BIN := $(FG_OUT)/fuzz.bin
FG_ELF := $(FG_OUT)/fuzz.elf

FG_SHARED_C := console.c dt.c mmu.c power.c timer.c
FG_SHARED_S := head.S vectors.S smp.S
FG_C_OBJS := $(patsubst $(FG_DIR)/%.c,$(FG_OUT)/%.o,$(wildcard $(FG_DIR)/*.c))
FG_S_OBJS := $(patsubst $(FG_DIR)/%.S,$(FG_OUT)/%.S.o,$(wildcard $(FG_DIR)/*.S))
FG_SHARED_OBJS := $(FG_SHARED_C:%.c=$(FG_OUT)/shared/%.o) $(FG_SHARED_S:%.S=$(FG_OUT)/shared/%.S.o)
FG_LIB_OBJS := $(TG_LIB_OBJS:$(TG_OUT)/lib/%=$(FG_OUT)/lib/%)
FG_OBJS := $(FG_SHARED_OBJS) $(FG_S_OBJS) $(FG_C_OBJS) $(FG_LIB_OBJS)

GUEST_BINS += $(FG_BIN)

$(FG_C_OBJS): $(FG_OUT)/%.o: $(FG_DIR)/%.c
	@mkdir -p $(dir $@)
	$(CC) $(TG_CFLAGS) -c $< -o $@

$(FG_S_OBJS): $(FG_OUT)/%.S.o: $(FG_DIR)/%.S
	@mkdir -p $(dir $@)
	$(CC) $(TG_CFLAGS) -D__ASSEMBLY__ -c $< -o $@

$(FG_OUT)/shared/%.o: $(TG_DIR)/%.c
	@mkdir -p $(dir $@)
	$(CC) $(TG_CFLAGS) -c $< -o $@

$(FG_OUT)/shared/%.S.o: $(TG_DIR)/%.S
	@mkdir -p $(dir $@)
	$(CC) $(TG_CFLAGS) -D__ASSEMBLY__ -c $< -o $@

$(FG_LIB_OBJS): $(FG_OUT)/lib/%.o: lib/%.c
	@mkdir -p $(dir $@)
	$(CC) $(TG_CFLAGS) -c $< -o $@

$(FG_ELF): $(FG_OBJS) $(TG_LDS)
	$(LD) $(TG_LDFLAGS) $(FG_OBJS) -o $@
	@if $(CROSS)readelf -rW $@ | grep -E 'R_AARCH64_' | grep -v R_AARCH64_RELATIVE; then \
		echo "$@: relocations other than R_AARCH64_RELATIVE" >&2; rm -f $@; exit 1; fi

$(FG_BIN): $(FG_ELF)
	$(OBJCOPY) -O binary $< $@

-include $(FG_OBJS:.o=.d)
