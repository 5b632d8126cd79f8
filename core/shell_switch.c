/*
 * The shell's switch-list [NAME]: each switch's ports, counters and known
 * MACs, in net/switch_list.c's words. Switches live as long as the machine,
 * so a pointer from the registry stays good while its lines are written.
 */
#include "arch.h"
#include "core/log.h"
#include "core/shell.h"
#include "net/switch.h"

#define say(...) log_msg(LOG_ALWAYS, __VA_ARGS__)
#define NS_PER_S 1000000000ull

/* The counter in nanoseconds: the clock the devices pass the switch, so the
 * ages of learned MACs read right. Split so that it cannot overflow. */
static u64 now_ns(void)
{
	u64 c = arch_counter_read(), f = arch_counter_freq();

	return c / f * NS_PER_S + c % f * NS_PER_S / f;
}

static void line(void *ctx, const char *text)
{
	say("%s", text);
}

void shell_switch_list(const char *name)
{
	struct vswitch *sw;

	if (name) {
		sw = switch_find(name);
		if (!sw)
			say("switch-list: no switch '%s' (switches are made when a vif or the uplink "
			    "names one)", name);
		else
			switch_list(sw, now_ns(), line, NULL);
		return;
	}
	if (!switch_at(0)) {
		say("no switches (no vif or uplink names one)");
		return;
	}
	for (u32 i = 0; (sw = switch_at(i)) != NULL; i++)
		switch_list(sw, now_ns(), line, NULL);
}
