/*
 * Flattened device tree reader and writer.
 *
 * The blob may be guest- or loader-supplied, so the reader treats it as
 * hostile: every token is decoded through next_token(), which checks that the
 * token and its payload lie inside the structure block and that every name is
 * NUL-terminated where it must be. Walks only move forward and depth is
 * capped, so no input can make a lookup loop or read out of bounds.
 * Multi-byte values are read byte by byte: the blob has no alignment
 * guarantee and the hypervisor runs with strict alignment checking.
 */
#include "types.h"
#include "lib/string.h"
#include "lib/fdt.h"

#define FDT_BEGIN_NODE	1u
#define FDT_END_NODE	2u
#define FDT_PROP	3u
#define FDT_NOP		4u
#define FDT_END		9u

#define FDT_HDR_SIZE	40u
#define FDT_RSV_SIZE	16u
#define FDT_MAX_DEPTH	64
/* The writer places the structure block right after the empty reserve map. */
#define FDTW_STRUCT_OFF	(FDT_HDR_SIZE + FDT_RSV_SIZE)

/* Byte offsets of the header fields. */
#define H_MAGIC		0
#define H_TOTALSIZE	4
#define H_OFF_STRUCT	8
#define H_OFF_STRINGS	12
#define H_OFF_RSVMAP	16
#define H_VERSION	20
#define H_LAST_COMP	24
#define H_BOOT_CPU	28
#define H_SIZE_STRINGS	32
#define H_SIZE_STRUCT	36

static u32 get_be32(const u8 *p)
{
	return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3];
}

static void put_be32(u8 *p, u32 v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

/* 64-bit sum so that a hostile offset + size cannot wrap past the check. */
static bool within(u64 off, u64 size, u64 total)
{
	return off + size <= total;
}

/* --- header ------------------------------------------------------------ */

u32 fdt_header_size(const void *blob)
{
	const u8 *b = blob;

	if (!b || get_be32(b + H_MAGIC) != FDT_MAGIC)
		return 0;
	return get_be32(b + H_TOTALSIZE);
}

static int check_blocks(struct fdt *fdt, const u8 *b, u32 version)
{
	u32 total = fdt->total_size;
	u32 soff = get_be32(b + H_OFF_STRUCT);
	u32 ssize = get_be32(b + H_SIZE_STRUCT);
	u32 stroff = get_be32(b + H_OFF_STRINGS);
	u32 strsize = get_be32(b + H_SIZE_STRINGS);
	u32 rsvoff = get_be32(b + H_OFF_RSVMAP);

	if (soff & 3 || soff > total)
		return -1;
	/* entries are read one at a time, each checked; the start must be sane */
	if (rsvoff & 7 || rsvoff < FDT_HDR_SIZE || rsvoff > total)
		return -1;
	/* v16 has no size_dt_struct; walks then stop at totalsize or FDT_END. */
	if (version < 17)
		ssize = total - soff;
	if (!within(soff, ssize, total) || !within(stroff, strsize, total))
		return -1;
	fdt->struct_off = soff;
	fdt->struct_size = ssize;
	fdt->strings_off = stroff;
	fdt->strings_size = strsize;
	fdt->rsvmap_off = rsvoff;
	return 0;
}

int fdt_open(struct fdt *fdt, const void *blob, u32 max_size)
{
	const u8 *b = blob;
	u32 version, total;

	/* A failed open leaves empty blocks, so stray accessor calls find nothing. */
	memset(fdt, 0, sizeof(*fdt));
	if (!b || max_size < FDT_HDR_SIZE || get_be32(b + H_MAGIC) != FDT_MAGIC)
		return -1;
	version = get_be32(b + H_VERSION);
	if (version < 16 || get_be32(b + H_LAST_COMP) > 17)
		return -1;
	total = get_be32(b + H_TOTALSIZE);
	/* Node offsets are ints, so the blob must stay below 2 GiB. */
	if (total < FDT_HDR_SIZE || total > max_size || total > INT32_MAX)
		return -1;
	fdt->total_size = total;
	if (check_blocks(fdt, b, version)) {
		memset(fdt, 0, sizeof(*fdt));
		return -1;
	}
	fdt->blob = b;
	return 0;
}

/* --- memory reservation block ------------------------------------------ */

static u64 get_be64(const u8 *p)
{
	return (u64)get_be32(p) << 32 | get_be32(p + 4);
}

bool fdt_memreserve(const struct fdt *fdt, u32 index, u64 *addr, u64 *size)
{
	u64 off = fdt->rsvmap_off + (u64)index * FDT_RSV_SIZE;

	if (!fdt->blob || !within(off, FDT_RSV_SIZE, fdt->total_size))
		return false;
	*addr = get_be64(fdt->blob + off);
	*size = get_be64(fdt->blob + off + 8);
	return *addr || *size;
}

/* --- token walking ----------------------------------------------------- */

static const char *prop_name(const struct fdt *fdt, u32 nameoff)
{
	const char *s;
	u32 room;

	if (nameoff >= fdt->strings_size)
		return NULL;
	s = (const char *)fdt->blob + fdt->strings_off + nameoff;
	room = fdt->strings_size - nameoff;
	return strnlen(s, room) < room ? s : NULL;
}

/*
 * Decodes the token at `off` and returns the offset of the next one, or -1
 * when the token is unknown or its payload does not fit. The result is
 * always greater than `off`, which is what bounds every walk.
 */
static int next_token(const struct fdt *fdt, int off, u32 *tag)
{
	u32 size = fdt->struct_size, o = off, n;
	const u8 *s;

	if (off < 0 || (o & 3) || !within(o, 4, size))
		return -1;
	s = fdt->blob + fdt->struct_off;
	*tag = get_be32(s + o);
	o += 4;
	switch (*tag) {
	case FDT_BEGIN_NODE:
		n = strnlen((const char *)s + o, size - o);
		if (n == size - o)
			return -1;
		o += n + 1;
		break;
	case FDT_PROP:
		if (!within(o, 8, size) || !prop_name(fdt, get_be32(s + o + 4)))
			return -1;
		n = get_be32(s + o);
		o += 8;
		if (!within(o, n, size))
			return -1;
		o += n;
		break;
	case FDT_END_NODE:
	case FDT_NOP:
	case FDT_END:
		break;
	default:
		return -1;
	}
	o = align_up(o, 4);
	return o <= size ? (int)o : -1;
}

/* Offset of the first token inside `node` (after its name), or -1. */
static int node_body(const struct fdt *fdt, int node)
{
	u32 tag;
	int next = next_token(fdt, node, &tag);

	return next >= 0 && tag == FDT_BEGIN_NODE ? next : -1;
}

/* The first BEGIN_NODE at or after `off` at the same level, or -1. */
static int find_begin(const struct fdt *fdt, int off)
{
	u32 tag;
	int next;

	while ((next = next_token(fdt, off, &tag)) >= 0) {
		if (tag == FDT_BEGIN_NODE)
			return off;
		if (tag != FDT_PROP && tag != FDT_NOP)
			return -1;
		off = next;
	}
	return -1;
}

/* Offset just past the END_NODE that closes `node`, or -1. */
static int skip_subtree(const struct fdt *fdt, int node)
{
	int depth = 0, off = node, next;
	u32 tag;

	if (node_body(fdt, node) < 0)
		return -1;
	do {
		next = next_token(fdt, off, &tag);
		if (next < 0 || tag == FDT_END)
			return -1;
		if (tag == FDT_BEGIN_NODE && ++depth > FDT_MAX_DEPTH)
			return -1;
		if (tag == FDT_END_NODE)
			depth--;
		off = next;
	} while (depth > 0);
	return off;
}

/* --- navigation -------------------------------------------------------- */

int fdt_root(const struct fdt *fdt)
{
	u32 tag;
	int off = 0, next;

	while ((next = next_token(fdt, off, &tag)) >= 0 && tag == FDT_NOP)
		off = next;
	return next >= 0 && tag == FDT_BEGIN_NODE ? off : -1;
}

int fdt_first_child(const struct fdt *fdt, int node)
{
	int off = node_body(fdt, node);

	return off < 0 ? -1 : find_begin(fdt, off);
}

int fdt_next_sibling(const struct fdt *fdt, int node)
{
	int off = skip_subtree(fdt, node);

	return off < 0 ? -1 : find_begin(fdt, off);
}

/*
 * *depth is the depth of `node` and is updated to that of the result. With a
 * depth pointer the walk ends when it would climb above depth 0, so starting
 * at -1 covers exactly the tree and starting at a node with *depth = 0 covers
 * its descendants. Without one the walk runs on to FDT_END.
 */
int fdt_next_node(const struct fdt *fdt, int node, int *depth)
{
	int d = depth ? *depth : 0;
	int off, next;
	u32 tag;

	if (node < 0) {
		if (depth)
			*depth = 0;
		return fdt_root(fdt);
	}
	for (off = node_body(fdt, node); off >= 0; off = next) {
		next = next_token(fdt, off, &tag);
		if (next < 0 || tag == FDT_END)
			return -1;
		if (tag == FDT_BEGIN_NODE) {
			if (++d > FDT_MAX_DEPTH)
				return -1;
			if (depth)
				*depth = d;
			return off;
		}
		if (tag == FDT_END_NODE && --d < 0 && depth)
			return -1;
	}
	return -1;
}

int fdt_parent(const struct fdt *fdt, int node)
{
	int stack[FDT_MAX_DEPTH + 1];
	int n, d;

	for (n = fdt_next_node(fdt, -1, &d); n >= 0; n = fdt_next_node(fdt, n, &d)) {
		stack[d] = n;
		if (n == node)
			return d > 0 ? stack[d - 1] : -1;
		/* Offsets grow along the walk: once past `node` it was not a node. */
		if (n > node)
			return -1;
	}
	return -1;
}

const char *fdt_node_name(const struct fdt *fdt, int node)
{
	if (node_body(fdt, node) < 0)
		return NULL;
	return (const char *)fdt->blob + fdt->struct_off + node + 4;
}

/*
 * `comp` is not NUL-terminated (it points into a path). A name with a unit
 * address matches a component without one only when allow_unit is set.
 */
static bool name_matches(const char *name, const char *comp, size_t len, bool allow_unit)
{
	if (!name || strncmp(name, comp, len))
		return false;
	return name[len] == '\0' || (allow_unit && name[len] == '@');
}

bool fdt_node_name_is(const struct fdt *fdt, int node, const char *base)
{
	return name_matches(fdt_node_name(fdt, node), base, strlen(base), true);
}

static bool has_unit(const char *comp, size_t len)
{
	while (len--)
		if (*comp++ == '@')
			return true;
	return false;
}

static int find_child(const struct fdt *fdt, int node, const char *comp, size_t len)
{
	bool allow_unit = !has_unit(comp, len);
	int c;

	for (c = fdt_first_child(fdt, node); c >= 0; c = fdt_next_sibling(fdt, c))
		if (name_matches(fdt_node_name(fdt, c), comp, len, allow_unit))
			return c;
	return -1;
}

int fdt_find_path(const struct fdt *fdt, const char *path)
{
	int node = fdt_root(fdt);
	size_t len;

	if (!path || path[0] != '/')
		return -1;
	while (node >= 0) {
		while (*path == '/')
			path++;
		if (!*path)
			return node;
		for (len = 0; path[len] && path[len] != '/'; len++)
			;
		node = find_child(fdt, node, path, len);
		path += len;
	}
	return -1;
}

int fdt_find_compatible(const struct fdt *fdt, int from, const char *compat)
{
	int n, d = 0;

	/* Iterating from `from` itself keeps repeated calls linear overall. */
	if (from < 0)
		n = fdt_next_node(fdt, -1, &d);
	else
		n = fdt_next_node(fdt, from, NULL);
	for (; n >= 0; n = fdt_next_node(fdt, n, from < 0 ? &d : NULL))
		if (fdt_is_compatible(fdt, n, compat))
			return n;
	return -1;
}

int fdt_find_phandle(const struct fdt *fdt, u32 phandle)
{
	int n, d;
	u32 v;

	if (phandle == 0 || phandle == 0xffffffffu)
		return -1;
	for (n = fdt_next_node(fdt, -1, &d); n >= 0; n = fdt_next_node(fdt, n, &d)) {
		if (fdt_prop_u32(fdt, n, "phandle", &v) && v == phandle)
			return n;
		if (fdt_prop_u32(fdt, n, "linux,phandle", &v) && v == phandle)
			return n;
	}
	return -1;
}

/* --- properties -------------------------------------------------------- */

bool fdt_get_prop(const struct fdt *fdt, int node, const char *name, const void **data, u32 *len)
{
	const u8 *p;
	int off, next;
	u32 tag;

	for (off = node_body(fdt, node); off >= 0; off = next) {
		next = next_token(fdt, off, &tag);
		if (next < 0 || (tag != FDT_PROP && tag != FDT_NOP))
			return false;
		if (tag == FDT_NOP)
			continue;
		/* next_token() has checked the length and the name offset. */
		p = fdt->blob + fdt->struct_off + off;
		if (strcmp(prop_name(fdt, get_be32(p + 8)), name))
			continue;
		if (data)
			*data = p + 12;
		if (len)
			*len = get_be32(p + 4);
		return true;
	}
	return false;
}

bool fdt_prop_u32(const struct fdt *fdt, int node, const char *name, u32 *out)
{
	const void *data;
	u32 len;

	if (!fdt_get_prop(fdt, node, name, &data, &len) || len != 4)
		return false;
	*out = get_be32(data);
	return true;
}

const char *fdt_prop_string(const struct fdt *fdt, int node, const char *name)
{
	const void *data;
	u32 len;

	if (!fdt_get_prop(fdt, node, name, &data, &len))
		return NULL;
	return strnlen(data, len) < len ? data : NULL;
}

bool fdt_is_compatible(const struct fdt *fdt, int node, const char *compat)
{
	const char *p;
	const void *data;
	u32 len, n;

	if (!fdt_get_prop(fdt, node, "compatible", &data, &len))
		return false;
	/* An unterminated last entry is ignored rather than read past. */
	for (p = data; len; p += n + 1, len -= n + 1) {
		n = strnlen(p, len);
		if (n == len)
			return false;
		if (!strcmp(p, compat))
			return true;
	}
	return false;
}

u64 fdt_read_cells(const void *p, int cells)
{
	const u8 *b = p;

	if (cells == 1)
		return get_be32(b);
	if (cells == 2)
		return (u64)get_be32(b) << 32 | get_be32(b + 4);
	return 0;
}

/* Absent means `def`; present but not a single cell makes the node unusable. */
static bool cells_prop(const struct fdt *fdt, int node, const char *name, u32 def, u32 *out)
{
	if (!fdt_get_prop(fdt, node, name, NULL, NULL)) {
		*out = def;
		return true;
	}
	return fdt_prop_u32(fdt, node, name, out);
}

struct reg_layout {
	const u8 *data;
	int count;
	int acells;
	int scells;
};

/* #size-cells = 0 (e.g. under /cpus) is accepted and decodes as size 0.
 * `parent` is the node's parent, which holds the cell counts. */
static bool reg_layout_under(const struct fdt *fdt, int parent, int node, struct reg_layout *r)
{
	const void *data;
	u32 ac, sc, len, stride;

	if (parent < 0 || !cells_prop(fdt, parent, "#address-cells", 2, &ac) ||
	    !cells_prop(fdt, parent, "#size-cells", 1, &sc))
		return false;
	if (ac < 1 || ac > 2 || sc > 2)
		return false;
	if (!fdt_get_prop(fdt, node, "reg", &data, &len))
		return false;
	stride = (ac + sc) * 4;
	if (len % stride)
		return false;
	r->data = data;
	r->count = len / stride;
	r->acells = ac;
	r->scells = sc;
	return true;
}

static bool reg_layout(const struct fdt *fdt, int node, struct reg_layout *r)
{
	return reg_layout_under(fdt, fdt_parent(fdt, node), node, r);
}

int fdt_reg_count(const struct fdt *fdt, int node)
{
	struct reg_layout r;

	return reg_layout(fdt, node, &r) ? r.count : -1;
}

static bool get_reg(const struct reg_layout *r, int index, u64 *addr, u64 *size)
{
	const u8 *p;

	if (index < 0 || index >= r->count)
		return false;
	p = r->data + (size_t)index * (r->acells + r->scells) * 4;
	if (addr)
		*addr = fdt_read_cells(p, r->acells);
	if (size)
		*size = r->scells ? fdt_read_cells(p + r->acells * 4, r->scells) : 0;
	return true;
}

bool fdt_get_reg_under(const struct fdt *fdt, int parent, int node, int index, u64 *addr,
		       u64 *size)
{
	struct reg_layout r;

	return reg_layout_under(fdt, parent, node, &r) && get_reg(&r, index, addr, size);
}

bool fdt_get_reg(const struct fdt *fdt, int node, int index, u64 *addr, u64 *size)
{
	struct reg_layout r;

	return reg_layout(fdt, node, &r) && get_reg(&r, index, addr, size);
}

/* --- writer ------------------------------------------------------------ */

/*
 * Misuse (end without begin, a property outside a node, a second root)
 * poisons the writer with a negative depth that no later call undoes, so
 * fdtw_finish() reports it however the calls continue.
 */
static void poison(struct fdt_writer *w)
{
	w->depth = -1;
}

void fdtw_init(struct fdt_writer *w, void *buf, u32 cap, void *strings_scratch, u32 strings_cap)
{
	memset(w, 0, sizeof(*w));
	w->buf = buf;
	w->cap = cap;
	w->strings = strings_scratch;
	w->strings_cap = strings_cap;
	if (!buf || cap < FDTW_STRUCT_OFF)
		w->overflow = true;
}

/* n zeroed bytes, rounded up to a token boundary, at the end of the structure block. */
static u8 *struct_reserve(struct fdt_writer *w, u64 n)
{
	u64 off = FDTW_STRUCT_OFF + (u64)w->struct_len;
	u8 *p;

	n = align_up(n, 4);
	if (w->overflow || off + n > w->cap) {
		w->overflow = true;
		return NULL;
	}
	p = w->buf + off;
	memset(p, 0, n);
	w->struct_len += n;
	return p;
}

void fdtw_begin_node(struct fdt_writer *w, const char *name)
{
	size_t len = strlen(name);
	u8 *p;

	if (w->depth < 0 || (w->depth == 0 && w->struct_len)) {
		poison(w);
		return;
	}
	p = struct_reserve(w, 4 + (u64)len + 1);
	if (p) {
		put_be32(p, FDT_BEGIN_NODE);
		memcpy(p + 4, name, len);
	}
	w->depth++;
}

void fdtw_end_node(struct fdt_writer *w)
{
	u8 *p;

	if (w->depth <= 0) {
		poison(w);
		return;
	}
	p = struct_reserve(w, 4);
	if (p)
		put_be32(p, FDT_END_NODE);
	w->depth--;
}

/* Exact-match deduplication is enough: the writer emits few distinct names. */
static bool add_string(struct fdt_writer *w, const char *name, u32 *nameoff)
{
	u64 len = strlen(name) + 1;
	u32 off = 0;

	while (off < w->strings_len) {
		const char *s = (const char *)w->strings + off;

		if (!strcmp(s, name)) {
			*nameoff = off;
			return true;
		}
		off += strlen(s) + 1;
	}
	if (w->overflow || w->strings_len + len > w->strings_cap) {
		w->overflow = true;
		return false;
	}
	memcpy(w->strings + w->strings_len, name, len);
	*nameoff = w->strings_len;
	w->strings_len += len;
	return true;
}

/* Emits the property header and returns where its `len` data bytes go. */
static u8 *prop_begin(struct fdt_writer *w, const char *name, u64 len)
{
	u32 nameoff;
	u8 *p;

	if (w->depth <= 0) {
		poison(w);
		return NULL;
	}
	if (len > UINT32_MAX) {
		w->overflow = true;
		return NULL;
	}
	if (!add_string(w, name, &nameoff))
		return NULL;
	p = struct_reserve(w, 12 + len);
	if (!p)
		return NULL;
	put_be32(p, FDT_PROP);
	put_be32(p + 4, len);
	put_be32(p + 8, nameoff);
	return p + 12;
}

void fdtw_prop(struct fdt_writer *w, const char *name, const void *data, u32 len)
{
	u8 *p = prop_begin(w, name, len);

	if (p && len)
		memcpy(p, data, len);
}

void fdtw_prop_empty(struct fdt_writer *w, const char *name)
{
	fdtw_prop(w, name, NULL, 0);
}

void fdtw_prop_u32(struct fdt_writer *w, const char *name, u32 v)
{
	u8 b[4];

	put_be32(b, v);
	fdtw_prop(w, name, b, sizeof(b));
}

void fdtw_prop_u64(struct fdt_writer *w, const char *name, u64 v)
{
	u8 b[8];

	put_be32(b, v >> 32);
	put_be32(b + 4, v);
	fdtw_prop(w, name, b, sizeof(b));
}

void fdtw_prop_cells(struct fdt_writer *w, const char *name, const u32 *cells, int n)
{
	u8 *p;
	int i;

	if (n < 0) {
		poison(w);
		return;
	}
	p = prop_begin(w, name, (u64)n * 4);
	for (i = 0; p && i < n; i++)
		put_be32(p + i * 4, cells[i]);
}

void fdtw_prop_string(struct fdt_writer *w, const char *name, const char *s)
{
	u64 len = strlen(s) + 1;

	if (len > UINT32_MAX) {
		w->overflow = true;
		return;
	}
	fdtw_prop(w, name, s, len);
}

void fdtw_prop_strings(struct fdt_writer *w, const char *name, const char *const *s, int n)
{
	u64 total = 0;
	size_t len;
	u8 *p;
	int i;

	if (n < 0) {
		poison(w);
		return;
	}
	for (i = 0; i < n; i++)
		total += strlen(s[i]) + 1;
	p = prop_begin(w, name, total);
	for (i = 0; p && i < n; i++) {
		len = strlen(s[i]) + 1;
		memcpy(p, s[i], len);
		p += len;
	}
}

static void write_header(struct fdt_writer *w, u32 total, u32 struct_size)
{
	u8 *b = w->buf;
	u32 strings_off = FDTW_STRUCT_OFF + struct_size;

	memset(b, 0, FDTW_STRUCT_OFF);
	put_be32(b + H_MAGIC, FDT_MAGIC);
	put_be32(b + H_TOTALSIZE, total);
	put_be32(b + H_OFF_STRUCT, FDTW_STRUCT_OFF);
	put_be32(b + H_OFF_STRINGS, strings_off);
	put_be32(b + H_OFF_RSVMAP, FDT_HDR_SIZE);
	put_be32(b + H_VERSION, 17);
	put_be32(b + H_LAST_COMP, 16);
	put_be32(b + H_BOOT_CPU, 0);
	put_be32(b + H_SIZE_STRINGS, w->strings_len);
	put_be32(b + H_SIZE_STRUCT, struct_size);
}

/*
 * FDT_END is written past struct_len without counting it, so calling
 * finish again (e.g. after checking the size) produces the same blob.
 */
int fdtw_finish(struct fdt_writer *w)
{
	u64 struct_size = (u64)w->struct_len + 4;
	u64 strings_off = FDTW_STRUCT_OFF + struct_size;
	u64 total = strings_off + w->strings_len;

	if (w->overflow)
		return -1;
	if (w->depth != 0 || !w->struct_len)
		return -2;
	if (total > w->cap || total > INT32_MAX) {
		w->overflow = true;
		return -1;
	}
	write_header(w, total, struct_size);
	put_be32(w->buf + strings_off - 4, FDT_END);
	if (w->strings_len)
		memcpy(w->buf + strings_off, w->strings, w->strings_len);
	return (int)total;
}
