/*
 * The virtual board table of a VM, and the walks over it: create, reset,
 * destroy, device tree, boot map. Devices live in the VM's device arena.
 */
#include "core/guest_layout.h"
#include "core/vboard.h"
#include "core/vm.h"
#include "lib/fmt.h"
#include "lib/string.h"

/* A window must lie in the guest's device region, which RAM keeps out of. */
static bool in_device_region(ipaddr_t base, u64 size)
{
	u64 b = ipa_addr(base);

	return b >= GUEST_DEVICES_BASE && b < GUEST_DEVICES_END && size &&
	       size <= GUEST_DEVICES_END - b;
}

static bool overlaps_any(const struct vboard *board, ipaddr_t base, u64 size)
{
	for (u32 i = 0; i < board->count; i++) {
		const struct vdev *d = &board->dev[i];

		if (ipa_addr(base) < ipa_addr(d->base) + d->size &&
		    ipa_addr(d->base) < ipa_addr(base) + size)
			return true;
	}
	return false;
}

/* A table of `capacity` entries, holding what the VM's table holds. */
static struct vboard *new_table(struct vm *vm, u32 capacity)
{
	struct vboard *b = vm_dev_alloc(vm, sizeof(*b) + capacity * sizeof(b->dev[0]));

	if (!b)
		return NULL;
	b->capacity = capacity;
	if (vm->board) {
		b->count = vm->board->count;
		memcpy(b->dev, vm->board->dev, b->count * sizeof(b->dev[0]));
	}
	return b;
}

/* Room for one more entry: a table twice as large when it is full (the old
 * one stays in the arena until the VM goes; builders size it right). */
static bool make_room(struct vm *vm, const char **why)
{
	u32 cap = vm->board->capacity;
	struct vboard *bigger;

	if (vm->board->count < cap)
		return true;
	if (vm->bus.count) {
		*why = "the board is fixed once its devices exist";
		return false;
	}
	bigger = new_table(vm, cap * 2 > VBOARD_MAX_DEVICES ? VBOARD_MAX_DEVICES : cap * 2 + !cap);
	if (!bigger) {
		*why = "no memory for its board";
		return false;
	}
	vm->board = bigger;
	return true;
}

int vboard_add(struct vm *vm, const struct vdev_kind *kind, ipaddr_t base, u64 size, int line,
	       u32 instance, const char **why)
{
	struct vboard *board;
	u32 at;

	if (vm->board->count == VBOARD_MAX_DEVICES) {
		*why = "more devices than a VM's board has room for";
		return -1;
	}
	if (!in_device_region(base, size) || overlaps_any(vm->board, base, size)) {
		*why = "a device's window is outside the device region or overlaps another";
		return -1;
	}
	if (!make_room(vm, why))
		return -1;
	board = vm->board;
	at = board->count;
	while (at > 0 && ipa_addr(board->dev[at - 1].base) > ipa_addr(base)) {
		board->dev[at] = board->dev[at - 1];
		at--;
	}
	board->dev[at] = (struct vdev){
		.kind = kind,
		.vm = vm,
		.base = base,
		.size = size,
		.irq = line >= 0 ? (struct irq_line){ vm, (u32)line } : irq_line_none(),
		.instance = instance,
	};
	board->count++;
	return 0;
}

/* How many devices of kind `k` the VM gets: one if every VM has it, else as
 * many as its config asks for. */
static u32 instances(const struct vm *vm, const struct vdev_kind *k)
{
	if (k->every_vm)
		return 1;
	return k->config_count ? k->config_count(vm) : 0;
}

/* How many devices the VM's board holds. */
static u32 devices_wanted(const struct vm *vm)
{
	const struct vdev_kind *k;
	u32 n = 0;

	for (u32 i = 0; (k = vdev_kind_at(i)); i++)
		n += instances(vm, k);
	return n;
}

/* Instance `n` of a kind the config asks for: the n-th window of its size
 * above its base and the n-th line from its line (QEMU virt's virtio-mmio
 * slots, which guests number by address). */
static int add_instances(struct vm *vm, const struct vdev_kind *k, const char **why)
{
	u64 size = k->size + (u64)vm->cfg.vcpus * k->size_per_vcpu;
	u32 count = instances(vm, k);

	for (u32 n = 0; n < count; n++) {
		ipaddr_t base = ipa_init(ipa_addr(k->base) + (u64)n * size);
		int line = k->line >= 0 ? k->line + (int)n : -1;

		if (vboard_add(vm, k, base, size, line, n, why))
			return -1;
	}
	return 0;
}

int vboard_build(struct vm *vm, const char **why)
{
	const struct vdev_kind *k;
	u32 n = devices_wanted(vm);

	if (n > VBOARD_MAX_DEVICES) {
		*why = "more devices than a VM's board has room for";
		return -1;
	}
	vm->board = NULL;
	vm->board = new_table(vm, n);
	if (!vm->board) {
		*why = "no memory for its board";
		return -1;
	}
	for (u32 i = 0; (k = vdev_kind_at(i)); i++) {
		if (add_instances(vm, k, why))
			return -1;
	}
	return 0;
}

int vboard_attach(struct vm *vm, const char **why)
{
	for (u32 i = 0; i < vm->board->count; i++) {
		struct vdev *d = &vm->board->dev[i];

		if (d->kind->create(d, why))
			return -1;
		if (mmio_register(&vm->bus, d)) {
			*why = "its device windows do not fit on the MMIO bus (full, or overlapping)";
			return -1;
		}
	}
	return 0;
}

void vboard_reset(struct vm *vm)
{
	for (u32 i = 0; i < vm->board->count; i++) {
		struct vdev *d = &vm->board->dev[i];

		if (d->ops && d->ops->reset)
			d->ops->reset(d);
	}
}

void vboard_unplug(struct vm *vm)
{
	for (u32 i = 0; vm->board && i < vm->board->count; i++) {
		struct vdev *d = &vm->board->dev[i];

		if (d->ops && d->ops->unplug)
			d->ops->unplug(d);
	}
}

void vboard_destroy(struct vm *vm)
{
	for (u32 i = 0; vm->board && i < vm->board->count; i++) {
		struct vdev *d = &vm->board->dev[i];

		if (d->ops && d->ops->destroy)
			d->ops->destroy(d);
	}
}

void vboard_dt(struct vm *vm, struct vdt *dt)
{
	for (u32 i = 0; i < vm->board->count; i++) {
		struct vdev *d = &vm->board->dev[i];

		if (d->ops && d->ops->dt_node)
			d->ops->dt_node(d, dt);
	}
}

void vboard_describe(const struct vm *vm, char *buf, u32 size)
{
	u32 len = 0;

	if (!size)
		return;
	buf[0] = '\0';
	for (u32 i = 0; i < vm->board->count && len < size; i++) {
		const struct vdev *d = &vm->board->dev[i];

		len += (u32)fmt_snprintf(buf + len, size - len, "%s%s@0x%llx", i ? ", " : "",
					 d->kind->name, (unsigned long long)ipa_addr(d->base));
	}
}
