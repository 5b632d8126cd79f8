/*
 * perfcount: a `perf stat -e instructions,cycles` of one loop, for the PMU
 * check of a Linux guest (Debian's perf tool is not in the initramfs).
 *
 *   perfcount [ITERATIONS]
 *
 * Opens two hardware counters for this process with perf_event_open
 * (user space only), runs a loop of 2 * ITERATIONS instructions (10 million
 * iterations by default) between enabling and disabling them, and prints
 * "PERFCOUNT instructions=N cycles=M iterations=I"; a failed system call
 * prints "PERFCOUNT error CALL=RESULT" and exits 1.
 *
 * Static, without a C library (the cross compiler here has none for
 * Linux): arm64 system calls through svc, its own _start.
 */

typedef unsigned long u64;
typedef long s64;
typedef unsigned int u32;

#define SYS_ioctl 29
#define SYS_read 63
#define SYS_write 64
#define SYS_exit 93
#define SYS_perf_event_open 241

#define PERF_TYPE_HARDWARE 0
#define PERF_COUNT_HW_CPU_CYCLES 0
#define PERF_COUNT_HW_INSTRUCTIONS 1
#define ATTR_DISABLED       (1ull << 0)
#define ATTR_EXCLUDE_KERNEL (1ull << 5)
#define ATTR_EXCLUDE_HV     (1ull << 6)
#define IOC_ENABLE  0x2400   /* _IO('$', 0) */
#define IOC_DISABLE 0x2401

/* The first version of struct perf_event_attr (PERF_ATTR_SIZE_VER0). */
struct perf_attr {
	u32 type;
	u32 size;
	u64 config;
	u64 sample_period;
	u64 sample_type;
	u64 read_format;
	u64 flags;
	u32 wakeup_events;
	u32 bp_type;
	u64 config1;
};

static s64 syscall5(s64 nr, s64 a, s64 b, s64 c, s64 d, s64 e)
{
	register s64 x8 __asm__("x8") = nr;
	register s64 x0 __asm__("x0") = a;
	register s64 x1 __asm__("x1") = b;
	register s64 x2 __asm__("x2") = c;
	register s64 x3 __asm__("x3") = d;
	register s64 x4 __asm__("x4") = e;

	__asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4)
			 : "memory");
	return x0;
}

static void put(const char *s)
{
	u64 n = 0;

	while (s[n])
		n++;
	syscall5(SYS_write, 1, (s64)s, (s64)n, 0, 0);
}

static void put_num(u64 v)
{
	char buf[24];
	int i = 23;

	buf[i] = 0;
	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put(&buf[i]);
}

static void fail(const char *call, s64 result)
{
	put("PERFCOUNT error ");
	put(call);
	put("=");
	if (result < 0) {
		put("-");
		result = -result;
	}
	put_num((u64)result);
	put("\n");
	syscall5(SYS_exit, 1, 0, 0, 0, 0);
}

static s64 open_counter(u64 config)
{
	struct perf_attr attr = {
		.type = PERF_TYPE_HARDWARE,
		.size = sizeof(attr),
		.config = config,
		.flags = ATTR_DISABLED | ATTR_EXCLUDE_KERNEL | ATTR_EXCLUDE_HV,
	};
	s64 fd = syscall5(SYS_perf_event_open, (s64)&attr, 0, -1, -1, 0);

	if (fd < 0)
		fail("perf_event_open", fd);
	return fd;
}

static u64 read_counter(s64 fd)
{
	u64 v = 0;
	s64 r = syscall5(SYS_read, fd, (s64)&v, sizeof(v), 0, 0);

	if (r != sizeof(v))
		fail("read", r);
	return v;
}

static u64 parse(const char *s)
{
	u64 v = 0;

	while (*s >= '0' && *s <= '9')
		v = v * 10 + (u64)(*s++ - '0');
	return v;
}

void start_c(u64 *sp) __attribute__((noreturn));

void start_c(u64 *sp)
{
	u64 argc = sp[0];
	u64 iters = argc > 1 ? parse((const char *)sp[2]) : 10000000;
	s64 insts = open_counter(PERF_COUNT_HW_INSTRUCTIONS);
	s64 cycles = open_counter(PERF_COUNT_HW_CPU_CYCLES);
	u64 n = iters ? iters : 1;

	syscall5(SYS_ioctl, insts, IOC_ENABLE, 0, 0, 0);
	syscall5(SYS_ioctl, cycles, IOC_ENABLE, 0, 0, 0);
	__asm__ volatile("1: subs %0, %0, #1\n\tb.ne 1b" : "+r"(n) : : "cc");
	syscall5(SYS_ioctl, cycles, IOC_DISABLE, 0, 0, 0);
	syscall5(SYS_ioctl, insts, IOC_DISABLE, 0, 0, 0);
	put("PERFCOUNT instructions=");
	put_num(read_counter(insts));
	put(" cycles=");
	put_num(read_counter(cycles));
	put(" iterations=");
	put_num(iters ? iters : 1);
	put("\n");
	syscall5(SYS_exit, 0, 0, 0, 0, 0);
	for (;;)
		;
}

__asm__(".text\n"
	".globl _start\n"
	"_start:\n"
	"	mov x0, sp\n"
	"	bl start_c\n"
	"1:	b 1b\n");

/* What the compiler may call for the structure it zeroes. */
void *memset(void *p, int c, u64 n)
{
	unsigned char *d = p;

	while (n--)
		*d++ = (unsigned char)c;
	return p;
}
