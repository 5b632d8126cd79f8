/*
 * Reads the board from the device tree: memory, CPUs, console UART; the arch
 * reads its own part (arch_platform_parse). Nothing about the board is
 * assumed beyond what it says.
 */
#include "core/platform.h"
#include "lib/string.h"

struct platform platform;

static void read_memory(struct platform *p)
{
	int depth = 0;

	for (int n = fdt_next_node(&p->fdt, -1, &depth); n >= 0;
	     n = fdt_next_node(&p->fdt, n, &depth)) {
		const char *type = fdt_prop_string(&p->fdt, n, "device_type");

		if (!type || strcmp(type, "memory") != 0)
			continue;
		for (int i = 0; i < fdt_reg_count(&p->fdt, n) && p->nmem < PLATFORM_MAX_MEM; i++) {
			struct mem_range *m = &p->mem[p->nmem];

			if (fdt_get_reg(&p->fdt, n, i, &m->base, &m->size) && m->size)
				p->nmem++;
		}
	}
}

bool platform_add_reserved(struct platform *p, u64 base, u64 size, bool no_map,
			   enum reserved_by by)
{
	if (!size)
		return true;
	if (p->nreserved == PLATFORM_MAX_RESERVED) {
		p->reserved_overflow = true;
		return false;
	}
	/* a region running past the top of the address space ends there */
	if (size > ~0ull - base)
		size = ~0ull - base;
	p->reserved[p->nreserved++] = (struct reserved_range){ base, size, no_map, by };
	return true;
}

static bool node_enabled(const struct fdt *fdt, int node)
{
	const char *status = fdt_prop_string(fdt, node, "status");

	return !status || strcmp(status, "okay") == 0 || strcmp(status, "ok") == 0;
}

/*
 * What the firmware reserved (e.g. UEFI runtime services, secure-world
 * memory) must never reach the page allocator. /reserved-memory children
 * with only a size ask the OS to allocate; there is nothing yet to keep.
 */
static void read_reserved(struct platform *p)
{
	int parent = fdt_find_path(&p->fdt, "/reserved-memory");
	u64 base, size;

	for (u32 i = 0; !p->reserved_overflow && fdt_memreserve(&p->fdt, i, &base, &size); i++)
		platform_add_reserved(p, base, size, false, RESERVED_BY_DT);
	if (parent < 0)
		return;
	for (int n = fdt_first_child(&p->fdt, parent); n >= 0; n = fdt_next_sibling(&p->fdt, n)) {
		bool no_map = fdt_get_prop(&p->fdt, n, "no-map", NULL, NULL);

		if (!node_enabled(&p->fdt, n))
			continue;
		for (int i = 0; i < fdt_reg_count(&p->fdt, n); i++) {
			if (fdt_get_reg(&p->fdt, n, i, &base, &size))
				platform_add_reserved(p, base, size, no_map, RESERVED_BY_DT);
		}
	}
}

static void read_cpus(struct platform *p)
{
	int cpus = fdt_find_path(&p->fdt, "/cpus");

	if (cpus < 0)
		return;
	for (int n = fdt_first_child(&p->fdt, cpus); n >= 0; n = fdt_next_sibling(&p->fdt, n)) {
		const char *type = fdt_prop_string(&p->fdt, n, "device_type");
		u64 hwid;
		u64 unused;

		if (!type || strcmp(type, "cpu") != 0 || !fdt_get_reg(&p->fdt, n, 0, &hwid, &unused))
			continue;
		p->ncpus_in_dt++;
		if (p->ncpus < MAX_CPUS)
			p->cpu_hwid[p->ncpus++] = hwid;
	}
}

/* stdout-path may be an alias and may carry ":options" after the path. */
static int stdout_node(const struct platform *p)
{
	int chosen = fdt_find_path(&p->fdt, "/chosen");
	const char *path = chosen >= 0 ? fdt_prop_string(&p->fdt, chosen, "stdout-path") : NULL;
	char buf[128];
	size_t len;

	if (!path)
		return -1;
	len = strlen(path);
	for (size_t i = 0; i < len; i++) {
		if (path[i] == ':') {
			len = i;
			break;
		}
	}
	if (len >= sizeof(buf))
		return -1;
	memcpy(buf, path, len);
	buf[len] = '\0';
	if (buf[0] != '/') {
		int aliases = fdt_find_path(&p->fdt, "/aliases");
		const char *target = aliases >= 0 ? fdt_prop_string(&p->fdt, aliases, buf) : NULL;

		return target ? fdt_find_path(&p->fdt, target) : -1;
	}
	return fdt_find_path(&p->fdt, buf);
}

/* A node's `interrupts` cells; 0 when it has none Bulkhead can hold. */
static u32 read_irq_cells(const struct fdt *fdt, int node, u32 *cells)
{
	const void *irq;
	u32 len;

	if (!fdt_get_prop(fdt, node, "interrupts", &irq, &len) || len % 4 != 0 ||
	    len > 4 * PLATFORM_MAX_IRQ_CELLS)
		return 0;
	for (u32 i = 0; i < len / 4; i++)
		cells[i] = (u32)fdt_read_cells((const u8 *)irq + 4 * i, 1);
	return len / 4;
}

static bool read_uart(struct platform *p)
{
	int n = stdout_node(p);

	if (n < 0 || !fdt_is_compatible(&p->fdt, n, "arm,pl011"))
		n = fdt_find_compatible(&p->fdt, -1, "arm,pl011");
	if (n < 0 || !fdt_get_reg(&p->fdt, n, 0, &p->uart.base, &p->uart.size))
		return false;
	p->uart_irq_cells = read_irq_cells(&p->fdt, n, p->uart_irq);
	return true;
}

/* Deep enough for any tree that puts virtio-mmio nodes under buses. */
#define VIRTIO_WALK_DEPTH 16

/* The virtio-mmio transports, in tree order; a node without a usable window
 * is not a slot the drivers could probe. */
static void read_virtio(struct platform *p)
{
	int parent[VIRTIO_WALK_DEPTH];
	int depth = 0;

	/* one walk that knows each node's parent: a board has 32 of these */
	for (int n = fdt_next_node(&p->fdt, -1, &depth); n >= 0;
	     n = fdt_next_node(&p->fdt, n, &depth)) {
		struct virtio_mmio_slot *s;

		if (depth < VIRTIO_WALK_DEPTH)
			parent[depth] = n;
		if (depth < 1 || depth > VIRTIO_WALK_DEPTH ||
		    !fdt_is_compatible(&p->fdt, n, "virtio,mmio") || !node_enabled(&p->fdt, n))
			continue;
		p->virtio_mmio_in_dt++;
		if (p->virtio_mmio_count == PLATFORM_MAX_VIRTIO_MMIO)
			continue;
		s = &p->virtio_mmio[p->virtio_mmio_count];
		if (!fdt_get_reg_under(&p->fdt, parent[depth - 1], n, 0, &s->reg.base, &s->reg.size) ||
		    !s->reg.size || !range_ok(s->reg.base, s->reg.size))
			continue;
		s->irq_cells = read_irq_cells(&p->fdt, n, s->irq);
		p->virtio_mmio_count++;
	}
}

int platform_parse(struct platform *p, const void *dtb, const char **why)
{
	u32 size = fdt_header_size(dtb);

	memset(p, 0, sizeof(*p));
	p->dtb = pa_init((u64)(uintptr_t)dtb);
	if (!size || fdt_open(&p->fdt, dtb, size) != 0) {
		*why = "no valid device tree was passed in x0";
		return -1;
	}
	read_memory(p);
	read_reserved(p);
	read_cpus(p);
	read_virtio(p);
	p->bootargs = fdt_prop_string(&p->fdt, fdt_find_path(&p->fdt, "/chosen"), "bootargs");
	if (arch_platform_parse(&p->arch, &p->fdt) != 0) {
		*why = "the device tree describes no interrupt controller, timer or firmware "
		       "interface Bulkhead can use";
		return -1;
	}
	if (!read_uart(p)) {
		*why = "the device tree names no PL011 UART";
		return -1;
	}
	if (!p->nmem) {
		*why = "the device tree describes no memory";
		return -1;
	}
	if (p->reserved_overflow) {
		*why = "the device tree reserves more memory regions than Bulkhead can track";
		return -1;
	}
	if (!p->ncpus) {
		*why = "the device tree describes no CPUs";
		return -1;
	}
	return 0;
}

/* A no-map region rounded outward to whole pages (saturating at the top). */
static void hole_bounds(const struct reserved_range *r, u64 *lo, u64 *hi)
{
	u64 end = r->base + r->size;

	*lo = align_down(r->base, PAGE_SIZE);
	*hi = end > ~0ull - PAGE_SIZE ? ~0ull : align_up(end, PAGE_SIZE);
}

/* The no-map hole at or after `from` that starts first, clipped to start no
 * lower than `from`; false when none starts below `end`. */
static bool next_hole(const struct platform *p, u64 from, u64 end, u64 *lo, u64 *hi)
{
	bool found = false;

	for (u32 i = 0; i < p->nreserved; i++) {
		u64 s, e;

		hole_bounds(&p->reserved[i], &s, &e);
		if (!p->reserved[i].no_map || e <= from || s >= end)
			continue;
		if (s < from)
			s = from;
		if (!found || s < *lo) {
			*lo = s;
			*hi = e;
			found = true;
		}
	}
	return found;
}

/* Overlapping and touching holes are one hole: grow `hi` until none extends
 * it, then clip it to the bank. */
static u64 hole_end(const struct platform *p, u64 hi, u64 end)
{
	for (bool grew = true; grew && hi < end;) {
		grew = false;
		for (u32 i = 0; i < p->nreserved; i++) {
			u64 s, e;

			hole_bounds(&p->reserved[i], &s, &e);
			if (p->reserved[i].no_map && s <= hi && e > hi) {
				hi = e;
				grew = true;
			}
		}
	}
	return hi < end ? hi : end;
}

void platform_walk_ram(const struct platform *p, ram_piece_fn piece, void *ctx)
{
	for (u32 i = 0; i < p->nmem; i++) {
		u64 at = p->mem[i].base, end = p->mem[i].base + p->mem[i].size;
		u64 lo = 0, hi = 0;

		while (at < end) {
			if (!next_hole(p, at, end, &lo, &hi)) {
				piece(at, end - at, true, ctx);
				break;
			}
			hi = hole_end(p, hi, end);
			if (lo > at)
				piece(at, lo - at, true, ctx);
			piece(lo, hi - lo, false, ctx);
			at = hi;
		}
	}
}
