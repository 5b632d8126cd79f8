/*
 * The `vecfault` mode: faults whose PC is inside the guest's own vector
 * table (a slot holding ordinary code) or just past its last entry, a
 * handler whose own work faults inside a slot, and a probe loop of many
 * faulting loads from one instruction, each skipped by the handler. Real
 * hardware takes every one of them; so must the VM.
 */
#include "guests/test/guest.h"
#include "guests/test/sysreg.h"

#define PROBE_LOOPS 3000   /* three times what an old fault-loop rule allowed */

static u64 absent_addr(u64 page)
{
	return plat.ram_base + plat.ram_size + page * PAGE_SIZE;
}

/* A synchronous external abort on a load at EL1, at `pc`, for `addr`. */
static void expect_abort(struct why *w, const char *what, struct fault f, u64 pc, u64 addr)
{
	if (!f.taken) {
		why_add(w, "%s: no fault", what);
		return;
	}
	if (ESR_EC(f.esr) != EC_DABT_CUR || ESR_FSC(f.esr) != FSC_SEA || (f.esr & ESR_FNV))
		why_add(w, "%s: ESR 0x%lx", what, f.esr);
	if (f.far != addr)
		why_add(w, "%s: FAR 0x%lx, want 0x%lx", what, f.far, addr);
	if (f.elr != pc)
		why_add(w, "%s: ELR 0x%lx, want 0x%lx", what, f.elr, pc);
}

static void check_fault_in_slot(void)
{
	struct why w = { 0 };
	u64 vbar = read_sysreg(vbar_el1), addr = absent_addr(0);
	struct fault f;

	if ((u64)slot_load - vbar >= 0x800)
		why_add(&w, "slot_load at 0x%lx is not in the table at 0x%lx", (u64)slot_load, vbar);
	probe_begin();
	(void)slot_load(addr);
	f = probe_end();
	expect_abort(&w, "load in vector slot 1", f, (u64)slot_load, addr);
	report("fault-in-vector-slot", &w);
}

static void check_fault_past_table(void)
{
	struct why w = { 0 };
	u64 vbar = read_sysreg(vbar_el1), addr = absent_addr(1);
	struct fault f;

	if ((u64)past_table_load != vbar + 0x800)
		why_add(&w, "past_table_load at 0x%lx, VBAR 0x%lx", (u64)past_table_load, vbar);
	probe_begin();
	(void)past_table_load(addr);
	f = probe_end();
	expect_abort(&w, "load at VBAR+0x800", f, (u64)past_table_load, addr);
	report("fault-past-vectors", &w);
}

/* The handler of one fault does work that loads from absent memory in a
 * vector slot: the nested fault is taken there, and the outer one returns. */
static void check_handler_faults_in_slot(void)
{
	struct why w = { 0 };
	u64 outer = absent_addr(2), inner = absent_addr(3);
	struct fault f, nested;

	probe_handler_load(inner);
	probe_begin();
	(void)probe_read32(outer);
	f = probe_end();
	nested = probe_handler_fault();
	expect_abort(&w, "handler's load", nested, (u64)slot_load, inner);
	if (!f.taken || f.far != outer || ESR_EC(f.esr) != EC_DABT_CUR)
		why_add(&w, "outer fault: taken %d ESR 0x%lx FAR 0x%lx", f.taken, f.esr, f.far);
	report("handler-faults-in-slot", &w);
}

/* Probing an absent device: the same load faults every time and the
 * handler skips it every time. That is progress, not a loop. */
static void check_probe_loop(void)
{
	struct why w = { 0 };
	u64 addr = absent_addr(4);
	u32 taken = 0;
	struct fault f = { 0 };

	for (u32 i = 0; i < PROBE_LOOPS; i++) {
		probe_begin();
		(void)slot_load(addr);
		f = probe_end();
		taken += f.taken;
	}
	if (taken != PROBE_LOOPS)
		why_add(&w, "%u of %u loads faulted", taken, PROBE_LOOPS);
	expect_abort(&w, "last load", f, (u64)slot_load, addr);
	report("probe-loop", &w);
}

void mode_vecfault(void)
{
	/* stage 1 maps the absent pages, so the loads reach stage 2 */
	if (mmu_map(absent_addr(0), 5 * PAGE_SIZE, MAP_DEVICE)) {
		check_fail("vecfault-setup", "cannot map the absent pages");
		finish();
	}
	check_fault_in_slot();
	check_fault_past_table();
	check_handler_faults_in_slot();
	check_probe_loop();
	finish();
}
