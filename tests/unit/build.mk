# Host unit tests (cmocka, ASan+UBSan). Each test names the sources it links.
# Host builds use libc's string functions, so lib/string.c is not linked here.

UNIT_TESTS :=

define unit_test
UNIT_TESTS += $(B)/unit/$(1)
$(B)/unit/$(1): tests/unit/$(1).c $(2)
	@mkdir -p $$(dir $$@)
	$$(HOSTCC) $$(SAN_CFLAGS) -Itests/unit $$^ -lcmocka -o $$@
endef

$(eval $(call unit_test,test_fdt,lib/fdt.c))
$(eval $(call unit_test,test_config,core/config.c))
$(eval $(call unit_test,test_fmt,lib/fmt.c))
