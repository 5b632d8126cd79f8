/*
 * The machine's switches by name: created when a VM's vif or the uplink first
 * names one, from hv_pages, and kept for the machine's life (a few at most;
 * the MAC table makes each about 60 KiB).
 */
#include "net/switch.h"
#include "arch.h"
#include "core/page_alloc.h"
#include "core/spinlock.h"
#include "lib/string.h"

#define SWITCH_PAGES ((sizeof(struct vswitch) + PAGE_SIZE - 1) / PAGE_SIZE)

static struct spinlock registry_lock;
static struct vswitch *switches[SWITCH_MAX];
static u32 nswitches;

static struct vswitch *find_locked(const char *name)
{
	for (u32 i = 0; i < nswitches; i++)
		if (!strcmp(switches[i]->name, name))
			return switches[i];
	return NULL;
}

struct vswitch *switch_find(const char *name)
{
	struct vswitch *sw;

	spin_lock(&registry_lock);
	sw = find_locked(name);
	spin_unlock(&registry_lock);
	return sw;
}

struct vswitch *switch_at(u32 i)
{
	struct vswitch *sw;

	spin_lock(&registry_lock);
	sw = i < nswitches ? switches[i] : NULL;
	spin_unlock(&registry_lock);
	return sw;
}

struct vswitch *switch_get(const char *name)
{
	struct vswitch *sw;
	paddr_t pa;

	if (!name[0] || strnlen(name, SWITCH_NAME_MAX) >= SWITCH_NAME_MAX)
		return NULL;
	spin_lock(&registry_lock);
	sw = find_locked(name);
	if (!sw && nswitches < SWITCH_MAX) {
		pa = page_alloc(&hv_pages, SWITCH_PAGES, PAGE_SIZE);
		if (pa_addr(pa)) {
			sw = pa_to_ptr(pa);
			/* The counter keys the MAC hash: MACs chosen to collide on one
			 * machine do not collide on another. */
			switch_init(sw, name, arch_counter_read() * 0x9e3779b97f4a7c15ull);
			switches[nswitches++] = sw;
		}
	}
	spin_unlock(&registry_lock);
	return sw;
}
