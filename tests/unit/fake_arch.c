/*
 * The arch-neutral API (include/arch.h) implemented on the host, so that core/
 * runs in unit tests without arch/arm64: the counter is a variable, events
 * are no-ops (tests are single-threaded), cache maintenance only records what
 * it was asked to do, and stage 2 keeps a log of mappings instead of tables.
 */
#include <stdlib.h>
#include <string.h>

#include "core/vm.h"
#include "fake_arch.h"

struct fake_arch fake = { .counter_freq = 62500000, .fail_stage2_map_after = -1 };

void fake_arch_reset(void)
{
	memset(&fake, 0, sizeof(fake));
	fake.counter_freq = 62500000;
	fake.fail_stage2_map_after = -1;
}

bool fake_dcache_cleaned(const void *p, u64 size)
{
	u32 n = fake.dcache_cleans < FAKE_LOG_MAX ? fake.dcache_cleans : FAKE_LOG_MAX;

	for (u32 i = 0; i < n; i++) {
		const u8 *lo = fake.dcache[i].p;

		if ((const u8 *)p >= lo && (const u8 *)p + size <= lo + fake.dcache[i].size)
			return true;
	}
	return false;
}

static void log_range(struct fake_range *log, u32 *count, const void *p, u64 size)
{
	if (*count < FAKE_LOG_MAX)
		log[*count] = (struct fake_range){ p, size };
	(*count)++;
}

/* CPU */

u32 arch_cpu_index(void)
{
	return fake.cpu_index;
}

void arch_kick_cpu(u32 cpu)
{
	fake.kicks++;
	fake.last_kick = cpu;
}

void arch_kick_cpu_irq(u32 cpu)
{
	fake.irq_kicks++;
	fake.last_kick = cpu;
}

bool arch_poll_irqs(void)
{
	return false;  /* no interrupts on the host */
}

u64 arch_cpu_busy_ticks(u32 cpu)
{
	return 0;
}

void arch_idle(void)
{
	fake.idles++;
	if (fake.idle_hook)
		fake.idle_hook();
}

void arch_set_timer(u64 when)
{
	fake.timer = when;
}

void arch_wait_event(void)
{
	fake.wait_events++;
}

void arch_send_event(void)
{
	fake.send_events++;
}

void arch_system_off(void)
{
	fake.system_offs++;
	if (fake.system_off_jmp)
		longjmp(*fake.system_off_jmp, 1);
	abort();
}

u64 arch_counter_read(void)
{
	u64 now = fake.counter;

	fake.counter += fake.counter_step;
	return now;
}

u64 arch_counter_freq(void)
{
	return fake.counter_freq;
}

/* Boot */

int arch_platform_parse(struct arch_platform *a, const struct fdt *fdt)
{
	a->parses++;
	return 0;
}

void arch_mmu_init(paddr_t image_base, u64 image_mem_size)
{
	fake.mmu_inits++;
	fake.mmu_image_base = image_base;
	fake.mmu_image_size = image_mem_size;
}

void arch_smp_start(void)
{
	fake.smp_starts++;
}

void arch_interrupts_init(void)
{
	fake.interrupts_inits++;
}

void arch_image_layout(struct image_layout *layout)
{
	*layout = fake.image;
}

bool arch_boot_reserved(u32 i, u64 *base, u64 *size)
{
	if (i >= fake.nboot_reserved || i >= 4)
		return false;
	*base = fake.boot_reserved[i].base;
	*size = fake.boot_reserved[i].size;
	return true;
}

bool arch_boot_reserved_overflow(void)
{
	return fake.boot_reserved_overflow;
}

/* Debugging: the fake has no MMU to fault, so it records the request. */

u64 arch_debug_fault_addr(enum arch_fault_kind kind)
{
	return 0x1000u * ((u64)kind + 1);
}

/* The fake CPU has every protection a fault kind needs. */
const char *arch_debug_fault_unsupported(enum arch_fault_kind kind)
{
	(void)kind;
	return NULL;
}

void arch_debug_fault(enum arch_fault_kind kind)
{
	fake.debug_faults++;
}

/* Memory */

void arch_clean_dcache_range(const void *p, u64 size)
{
	log_range(fake.dcache, &fake.dcache_cleans, p, size);
}

void arch_invalidate_icache(void)
{
	fake.icache_invalidates++;
}

/* libc's memcpy: the host has no SIMD copy to test, only who calls it. */
void arch_copy_bulk(void *dst, const void *src, u64 len)
{
	memcpy(dst, src, len);
	fake.bulk_copies++;
	fake.bulk_bytes += len;
}

void arch_scrub(void *p, u64 size)
{
	memset(p, 0, size);
	log_range(fake.scrub, &fake.scrubs, p, size);
}

/* Stage 2 */

int arch_stage2_init(struct arch_stage2 *s2, u16 vmid)
{
	void *root;

	memset(s2, 0, sizeof(*s2));
	if (fake.fail_stage2_init)
		return -1;
	root = aligned_alloc(PAGE_SIZE, PAGE_SIZE);
	if (!root)
		return -1;
	memset(root, 0, PAGE_SIZE);
	s2->root = ptr_to_pa(root);
	s2->vmid = vmid;
	fake.s2_inits++;
	return 0;
}

int arch_stage2_map(struct arch_stage2 *s2, ipaddr_t ipa, paddr_t pa, u64 size, enum s2_mem mem)
{
	if (!pa_addr(s2->root) || !is_aligned(ipa_addr(ipa) | pa_addr(pa) | size, PAGE_SIZE) ||
	    !range_ok(ipa_addr(ipa), size) || ipa_addr(ipa) + size > (1ull << 39))
		return -1;
	if (fake.fail_stage2_map_after == 0)
		return -1;
	if (fake.fail_stage2_map_after > 0)
		fake.fail_stage2_map_after--;
	if (fake.s2_maps < FAKE_LOG_MAX)
		fake.s2_map[fake.s2_maps] = (struct fake_s2_map){
			s2, s2->vmid, ipa_addr(ipa), pa_addr(pa), size, mem,
		};
	fake.s2_maps++;
	s2->maps++;
	s2->mapped += size;
	return 0;
}

int arch_stage2_unmap(struct arch_stage2 *s2, ipaddr_t ipa, u64 size)
{
	if (!pa_addr(s2->root) || !is_aligned(ipa_addr(ipa) | size, PAGE_SIZE) || fake.fail_stage2_unmap)
		return -1;
	if (fake.s2_unmaps < FAKE_LOG_MAX)
		fake.s2_unmap[fake.s2_unmaps] = (struct fake_s2_map){
			s2, s2->vmid, ipa_addr(ipa), 0, size, S2_RAM,
		};
	fake.s2_unmaps++;
	s2->mapped -= size;
	return 0;
}

void arch_stage2_destroy(struct arch_stage2 *s2)
{
	if (!pa_addr(s2->root))
		return;
	free(pa_to_ptr(s2->root));
	s2->root = pa_init(0);
	s2->maps = 0;
	s2->mapped = 0;
	fake.s2_destroys++;
}

/* Kernel images: the same header as arm64's Image (magic "ARM\x64" at 56,
 * text_offset at 8, image_size at 16), so that core's placement is tested
 * with the layouts real kernels ask for. */

static u64 le64(const u8 *p)
{
	u64 v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

bool arch_kernel_image_parse(const u8 *data, u64 size, u64 *text_offset, u64 *image_size)
{
	if (size < 64 || memcmp(data + 56, "ARM\x64", 4) != 0)
		return false;
	*image_size = le64(data + 16);
	*text_offset = *image_size ? le64(data + 8) : 0x80000;
	if (*image_size < size)
		*image_size = size;
	return true;
}

/* vCPUs */

int arch_vm_prepare(struct vm *vm, char *why, size_t why_size)
{
	(void)vm;
	(void)why;
	(void)why_size;
	return 0;
}

void arch_vcpu_reset(struct arch_vcpu *v, ipaddr_t entry, u64 x0, u32 index)
{
	u32 resets = v->resets;

	memset(v, 0, sizeof(*v));
	v->regs.x[0] = x0;
	v->regs.pc = ipa_addr(entry);
	v->sys.index = index;
	v->resets = resets + 1;
}

void arch_vcpu_set_counter_offset(struct arch_vcpu *v, u64 offset)
{
	v->counter_offset = offset;
}

enum vcpu_next arch_vcpu_run(struct vcpu *vcpu)
{
	fake.vcpu_runs++;
	fake.last_run = vcpu;
	if (fake.vcpu_run_hook)
		return fake.vcpu_run_hook(vcpu);
	return VCPU_YIELD;
}

/* Device interrupts: the last handler attached, which a test calls itself. */
void (*fake_irq_handler)(void *ctx);
void *fake_irq_ctx;
u32 fake_irq_attached;

u32 arch_irq_from_dt(const u32 *cells, u32 ncells)
{
	return ncells ? cells[0] : 0;
}

int arch_irq_attach(u32 irq, void (*handler)(void *ctx), void *ctx)
{
	if (!irq || !handler)
		return -1;
	fake_irq_attached = irq;
	fake_irq_handler = handler;
	fake_irq_ctx = ctx;
	return 0;
}

void arch_io_wmb(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

void arch_io_rmb(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}
