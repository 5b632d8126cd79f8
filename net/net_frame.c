/*
 * Reading frames that sit in a sender's segments, and the edited frame a
 * receiver sees (header from the switch's snapshot, body from the segments).
 */
#include "net/net_frame.h"
#include "lib/string.h"

bool net_frame_well_formed(const struct net_frame *f)
{
	u64 sum = 0;

	if (f->nsegs > NET_FRAME_MAX_SEGS || (f->nsegs && !f->segs))
		return false;
	for (u32 i = 0; i < f->nsegs; i++) {
		if (f->segs[i].len && !f->segs[i].data)
			return false;
		sum += f->segs[i].len;
	}
	return sum == f->len;
}

/* Finds the segment holding byte `off`; sets *seg_off to the offset in it. */
static const struct net_seg *seg_at(const struct net_frame *f, u32 off, u32 *seg_off)
{
	for (u32 i = 0; i < f->nsegs; i++) {
		if (off < f->segs[i].len) {
			*seg_off = off;
			return &f->segs[i];
		}
		off -= f->segs[i].len;
	}
	return NULL;
}

u32 net_frame_read(const struct net_frame *f, u32 off, void *dst, u32 n)
{
	u8 *out = dst;
	u32 done = 0, in_seg;

	for (u32 i = 0; i < f->nsegs && done < n; i++) {
		const struct net_seg *s = &f->segs[i];

		if (off >= s->len) {
			off -= s->len;
			continue;
		}
		in_seg = s->len - off;
		if (in_seg > n - done)
			in_seg = n - done;
		memcpy(out + done, (const u8 *)s->data + off, in_seg);
		done += in_seg;
		off = 0;
	}
	return done;
}

u32 net_delivery_piece(const struct net_delivery *d, u32 off, const u8 **data)
{
	const struct net_seg *s;
	u32 seg_off;

	if (off >= d->len)
		return 0;
	if (off < d->hdr_len) {
		*data = d->hdr + off;
		return d->hdr_len - off;
	}
	s = seg_at(d->frame, off - d->hdr_len + d->body_off, &seg_off);
	if (!s)
		return 0;
	*data = (const u8 *)s->data + seg_off;
	/* a segment of a GSO frame ends inside the sender's buffer */
	return s->len - seg_off < d->len - off ? s->len - seg_off : d->len - off;
}

u32 net_delivery_copy(const struct net_delivery *d, u32 off, void *dst, u32 n)
{
	u8 *out = dst;
	u32 done = 0;

	while (done < n) {
		const u8 *p;
		u32 run = net_delivery_piece(d, off + done, &p);

		if (!run)
			break;
		if (run > n - done)
			run = n - done;
		memcpy(out + done, p, run);
		done += run;
	}
	return done;
}
