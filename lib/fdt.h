/*
 * Flattened device tree (DTB) reader and writer.
 *
 * The reader never trusts the blob: fdt_open() validates the header and every
 * accessor bounds-checks against it, so a corrupt tree yields "not found"
 * rather than an out-of-bounds read. Nodes are named by their offset in the
 * structure block (an int >= 0); a negative value means "no node".
 */
#ifndef BULKHEAD_LIB_FDT_H
#define BULKHEAD_LIB_FDT_H

#include "types.h"

#define FDT_MAGIC 0xd00dfeedu

struct fdt {
	const u8 *blob;
	u32 total_size;
	u32 struct_off;  /* offset of the structure block in the blob */
	u32 struct_size;
	u32 strings_off; /* offset of the strings block in the blob */
	u32 strings_size;
	u32 rsvmap_off;  /* offset of the memory reservation block */
};

/* Size the header claims, or 0 when `blob` does not start with a DTB header. */
u32 fdt_header_size(const void *blob);

/* Validates the header against max_size; returns 0 or a negative error. */
int fdt_open(struct fdt *fdt, const void *blob, u32 max_size);

int fdt_root(const struct fdt *fdt);
int fdt_first_child(const struct fdt *fdt, int node);
int fdt_next_sibling(const struct fdt *fdt, int node);
/* The next node after `node` in depth-first order (pass -1 to start at the root). */
int fdt_next_node(const struct fdt *fdt, int node, int *depth);
int fdt_parent(const struct fdt *fdt, int node);
const char *fdt_node_name(const struct fdt *fdt, int node);
/* True when the name is `base` or starts with `base@`. */
bool fdt_node_name_is(const struct fdt *fdt, int node, const char *base);
/* Absolute path lookup, e.g. "/chosen" or "/cpus/cpu@0"; unit addresses may be omitted. */
int fdt_find_path(const struct fdt *fdt, const char *path);
/* Next node after `from` (-1: from the start) whose compatible list contains `compat`. */
int fdt_find_compatible(const struct fdt *fdt, int from, const char *compat);
int fdt_find_phandle(const struct fdt *fdt, u32 phandle);

bool fdt_get_prop(const struct fdt *fdt, int node, const char *name, const void **data, u32 *len);
bool fdt_prop_u32(const struct fdt *fdt, int node, const char *name, u32 *out);
/* A NUL-terminated string property (validated to be terminated within the property). */
const char *fdt_prop_string(const struct fdt *fdt, int node, const char *name);
bool fdt_is_compatible(const struct fdt *fdt, int node, const char *compat);
/* Number of (address, size) pairs in `reg`, decoded with the parent's #address-cells/#size-cells. */
int fdt_reg_count(const struct fdt *fdt, int node);
bool fdt_get_reg(const struct fdt *fdt, int node, int index, u64 *addr, u64 *size);
/* The same, for a caller that knows the node's parent: finding it otherwise
 * walks the tree from the root, once per call. */
bool fdt_get_reg_under(const struct fdt *fdt, int parent, int node, int index, u64 *addr,
		       u64 *size);
/*
 * Entry `index` of the memory reservation block (/memreserve/ in a .dts);
 * false at its terminating entry or where the block leaves the blob.
 */
bool fdt_memreserve(const struct fdt *fdt, u32 index, u64 *addr, u64 *size);
/* Reads big-endian cells 1 or 2 wide. */
u64 fdt_read_cells(const void *p, int cells);

/* Sequential writer: build a tree depth-first into a caller-supplied buffer. */
struct fdt_writer {
	u8 *buf;
	u32 cap;
	u32 struct_len;  /* structure block grows up from the header */
	u32 strings_len; /* strings are kept in a separate region until finish */
	u8 *strings;
	u32 strings_cap;
	int depth;
	bool overflow;
};

void fdtw_init(struct fdt_writer *w, void *buf, u32 cap, void *strings_scratch, u32 strings_cap);
void fdtw_begin_node(struct fdt_writer *w, const char *name);
void fdtw_end_node(struct fdt_writer *w);
void fdtw_prop(struct fdt_writer *w, const char *name, const void *data, u32 len);
void fdtw_prop_empty(struct fdt_writer *w, const char *name);
void fdtw_prop_u32(struct fdt_writer *w, const char *name, u32 v);
void fdtw_prop_u64(struct fdt_writer *w, const char *name, u64 v);
/* `n` host-order cells written big-endian. */
void fdtw_prop_cells(struct fdt_writer *w, const char *name, const u32 *cells, int n);
void fdtw_prop_string(struct fdt_writer *w, const char *name, const char *s);
/* A string list ("a\0b\0") given as an array of C strings. */
void fdtw_prop_strings(struct fdt_writer *w, const char *name, const char *const *s, int n);
/* Returns the blob's total size, or a negative value on overflow or unbalanced nodes. */
int fdtw_finish(struct fdt_writer *w);

#endif
