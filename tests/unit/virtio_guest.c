/* The guest's side of tests/unit/virtio_guest.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/vdev.h"
#include "devices/virtio/mmio.h"
#include "virtio_guest.h"

#define R_DEV_FEATURES 0x010
#define R_DEV_FEATURES_SEL 0x014
#define R_DRV_FEATURES 0x020
#define R_DRV_FEATURES_SEL 0x024
#define R_QUEUE_SEL 0x030
#define R_QUEUE_NUM 0x038
#define R_QUEUE_READY 0x044
#define R_QUEUE_NOTIFY 0x050
#define R_STATUS 0x070

void vg_init(struct vguest *g, const char *name)
{
	memset(g, 0, sizeof(*g));
	g->ram = calloc(1, VG_RAM_SIZE);
	assert_non_null(g->ram);
	strcpy(g->vm.cfg.name, name);
	strcpy(g->vm.cfg_file, "test.cfg");
	g->vm.cfg.ram_base = VG_RAM_BASE;
	guest_ram_init_run(&g->vm.ram, VG_RAM_BASE, VG_RAM_SIZE, g->ram_chunks, ptr_to_pa(g->ram));
	g->vm.state = VM_RUNNING;
}

int vg_create(struct vguest *g, const char *kind, u64 base, u32 line, const char **why)
{
	const struct vdev_kind *k = vdev_kind_by_name(kind);

	assert_non_null(k);
	g->dev.vm = &g->vm;
	g->dev.kind = k;
	g->dev.base = ipa_init(base);
	g->dev.size = VIRTIO_MMIO_SIZE;
	g->dev.irq = (struct irq_line){ &g->vm, line };
	if (k->create(&g->dev, why))
		return -1;
	assert_int_equal(mmio_register(&g->bus, &g->dev), 0);
	return 0;
}

void vg_free(struct vguest *g)
{
	dev_arena_release(&g->vm.dev_mem);
	free(g->ram);
	g->ram = NULL;
}

u32 vg_rd(struct vguest *g, u64 off)
{
	u64 v = 0;

	assert_true(mmio_access(&g->bus, ipa_add(g->dev.base, off), 4, false, &v));
	return (u32)v;
}

void vg_wr(struct vguest *g, u64 off, u32 value)
{
	u64 v = value;

	assert_true(mmio_access(&g->bus, ipa_add(g->dev.base, off), 4, true, &v));
}

bool vg_config_rd(struct vguest *g, u64 off, u32 size, u64 *v)
{
	return mmio_access(&g->bus, ipa_add(g->dev.base, 0x100 + off), size, false, v);
}

u64 vg_device_features(struct vguest *g)
{
	u64 f;

	vg_wr(g, R_DEV_FEATURES_SEL, 0);
	f = vg_rd(g, R_DEV_FEATURES);
	vg_wr(g, R_DEV_FEATURES_SEL, 1);
	return f | (u64)vg_rd(g, R_DEV_FEATURES) << 32;
}

u32 vg_driver_init(struct vguest *g, u64 features, u32 nqueues)
{
	assert_true(nqueues <= VG_MAX_QUEUES);
	vg_wr(g, R_STATUS, 0);
	vg_wr(g, R_STATUS, 1);
	vg_wr(g, R_STATUS, 3);
	vg_wr(g, R_DRV_FEATURES_SEL, 0);
	vg_wr(g, R_DRV_FEATURES, (u32)features);
	vg_wr(g, R_DRV_FEATURES_SEL, 1);
	vg_wr(g, R_DRV_FEATURES, (u32)(features >> 32));
	vg_wr(g, R_STATUS, 11);
	g->nqueues = nqueues;
	for (u32 q = 0; q < nqueues; q++) {
		u64 r = VG_RAM_BASE + VG_RINGS(q);

		memset(g->ram + VG_RINGS(q), 0, 0x3000);
		g->q[q] = (struct vg_queue){ 0 };
		vg_wr(g, R_QUEUE_SEL, q);
		vg_wr(g, R_QUEUE_NUM, VG_QSIZE);
		vg_wr(g, 0x080, (u32)r);
		vg_wr(g, 0x084, 0);
		vg_wr(g, 0x090, (u32)(r + 0x1000));
		vg_wr(g, 0x094, 0);
		vg_wr(g, 0x0a0, (u32)(r + 0x2000));
		vg_wr(g, 0x0a4, 0);
		vg_wr(g, R_QUEUE_READY, 1);
	}
	vg_wr(g, R_STATUS, 15);
	return vg_rd(g, R_STATUS);
}

u16 vg_offer(struct vguest *g, u32 q, const struct vg_seg *s, u32 n, bool notify)
{
	struct vg_queue *vq = &g->q[q];
	u8 *rings = g->ram + VG_RINGS(q);
	u16 head = vq->next_desc, idx;

	for (u32 i = 0; i < n; i++) {
		u8 *d = rings + 16 * ((head + i) % VG_QSIZE);
		u64 addr = VG_RAM_BASE + s[i].off;
		u16 flags = (u16)((i + 1 < n ? 1 : 0) | (s[i].writes ? 2 : 0));
		u16 next = (u16)((head + i + 1) % VG_QSIZE);

		memcpy(d, &addr, 8);
		memcpy(d + 8, &s[i].len, 4);
		memcpy(d + 12, &flags, 2);
		memcpy(d + 14, &next, 2);
	}
	vq->next_desc = (u16)((head + n) % VG_QSIZE);
	memcpy(&idx, rings + 0x1000 + 2, 2);
	memcpy(rings + 0x1000 + 4 + 2 * (idx % VG_QSIZE), &head, 2);
	idx++;
	memcpy(rings + 0x1000 + 2, &idx, 2);
	if (notify)
		vg_wr(g, R_QUEUE_NOTIFY, q);
	return head;
}

void vg_avail_flags(struct vguest *g, u32 q, u16 flags)
{
	memcpy(g->ram + VG_RINGS(q) + 0x1000, &flags, 2);
}

u16 vg_used_pending(struct vguest *g, u32 q)
{
	u16 idx;

	memcpy(&idx, g->ram + VG_RINGS(q) + 0x2000 + 2, 2);
	return (u16)(idx - g->q[q].seen_used);
}

bool vg_take_used(struct vguest *g, u32 q, u32 *id, u32 *len)
{
	u8 *e = g->ram + VG_RINGS(q) + 0x2000 + 4 + 8 * (g->q[q].seen_used % VG_QSIZE);

	if (!vg_used_pending(g, q))
		return false;
	memcpy(id, e, 4);
	memcpy(len, e + 4, 4);
	g->q[q].seen_used++;
	return true;
}
