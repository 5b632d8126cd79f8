/*
 * The Linux arm64 Image header (Documentation/arch/arm64/booting.rst): the
 * "ARM\x64" magic at 56, text_offset at 8 and image_size at 16, both
 * little-endian.
 */
#include "arch.h"
#include "lib/string.h"

#define IMAGE_MAGIC_OFFSET 56
#define IMAGE_HEADER_SIZE 64
#define IMAGE_TEXT_OFFSET 8
#define IMAGE_SIZE_OFFSET 16
#define OLD_TEXT_OFFSET 0x80000   /* what kernels before 3.17 assume */

static u64 read_le64(const u8 *p)
{
	u64 v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

bool arch_kernel_image_parse(const u8 *data, u64 size, u64 *text_offset, u64 *image_size)
{
	if (size < IMAGE_HEADER_SIZE || memcmp(data + IMAGE_MAGIC_OFFSET, "ARM\x64", 4) != 0)
		return false;
	*image_size = read_le64(data + IMAGE_SIZE_OFFSET);
	/* text_offset is only meaningful when image_size is set (kernels >= 3.17) */
	*text_offset = *image_size ? read_le64(data + IMAGE_TEXT_OFFSET) : OLD_TEXT_OFFSET;
	if (*image_size < size)
		*image_size = size;
	return true;
}
