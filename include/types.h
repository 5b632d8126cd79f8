/* Basic fixed-width types and the three address kinds (Hafnium-style typing). */
#ifndef BULKHEAD_TYPES_H
#define BULKHEAD_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;

/*
 * Physical, intermediate-physical (guest-physical) and hypervisor-virtual
 * addresses are distinct struct types so that passing one where another is
 * expected is a compile error; conversions are explicit.
 */
typedef struct { u64 pa; } paddr_t;
typedef struct { u64 ipa; } ipaddr_t;
typedef struct { u64 va; } vaddr_t;

static inline paddr_t pa_init(u64 a) { return (paddr_t){ a }; }
static inline u64 pa_addr(paddr_t a) { return a.pa; }
static inline paddr_t pa_add(paddr_t a, u64 n) { return (paddr_t){ a.pa + n }; }
static inline ipaddr_t ipa_init(u64 a) { return (ipaddr_t){ a }; }
static inline u64 ipa_addr(ipaddr_t a) { return a.ipa; }
static inline ipaddr_t ipa_add(ipaddr_t a, u64 n) { return (ipaddr_t){ a.ipa + n }; }
/* A guest's own virtual address (its stage 1), as a fault reports it. */
static inline vaddr_t va_init(u64 a) { return (vaddr_t){ a }; }
static inline u64 va_addr(vaddr_t a) { return a.va; }

#define PAGE_SHIFT 12
#define PAGE_SIZE ((u64)1 << PAGE_SHIFT)
#define KiB ((u64)1024)
#define MiB (KiB * 1024)
#define GiB (MiB * 1024)

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline u64 align_up(u64 v, u64 align) { return (v + align - 1) & ~(align - 1); }
static inline u64 align_down(u64 v, u64 align) { return v & ~(align - 1); }
static inline bool is_aligned(u64 v, u64 align) { return (v & (align - 1)) == 0; }

/* True when [base, base+size) does not wrap around the address space. */
static inline bool range_ok(u64 base, u64 size) { return base + size >= base; }

static inline u32 be32_to_cpu(u32 v) { return __builtin_bswap32(v); }
static inline u64 be64_to_cpu(u64 v) { return __builtin_bswap64(v); }
static inline u32 cpu_to_be32(u32 v) { return __builtin_bswap32(v); }
static inline u64 cpu_to_be64(u64 v) { return __builtin_bswap64(v); }

#endif
