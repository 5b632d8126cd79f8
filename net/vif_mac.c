/* A stable MAC from a VM name and a vif index (net/vif_mac.h). */
#include "net/vif_mac.h"

#define FNV64_OFFSET 0xcbf29ce484222325ull
#define FNV64_PRIME 0x100000001b3ull
#define MAC_LOCAL 0x02           /* locally administered */
#define MAC_GROUP 0x01           /* multicast: never for a vif */

static u64 fnv_byte(u64 h, u8 b)
{
	return (h ^ b) * FNV64_PRIME;
}

void vif_derive_mac(const char *vm_name, u32 index, u8 mac[ETH_ALEN])
{
	u64 h = FNV64_OFFSET;

	for (const char *p = vm_name; *p; p++)
		h = fnv_byte(h, (u8)*p);
	/* the NUL keeps "web1" vif 0 apart from "web" vif 0x31... */
	h = fnv_byte(h, 0);
	for (u32 i = 0; i < 4; i++)
		h = fnv_byte(h, (u8)(index >> (8 * i)));
	/* FNV's low bits mix best; the top two bytes are least mixed */
	eth_u64_to_mac(h ^ (h >> 48), mac);
	mac[0] = (u8)((mac[0] & ~MAC_GROUP) | MAC_LOCAL);
}
