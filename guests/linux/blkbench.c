/*
 * blkbench: the storage benchmark `make bench` runs inside a Linux guest.
 *
 *   blkbench DEVICE [SEQ_MIB [RANDOM_READS]]
 *
 * Opens DEVICE with O_DIRECT (the page cache would measure the guest's
 * memory, not its disk) and times, with CLOCK_MONOTONIC:
 *   - sequential 1 MiB writes over SEQ_MIB MiB, then an fsync;
 *   - sequential 1 MiB reads of the same range;
 *   - RANDOM_READS reads of 4 KiB at aligned offsets in that range, from a
 *     fixed-seed generator so that every run asks for the same blocks.
 * Under QEMU's -icount shift=0 the guest's monotonic clock is virtual time:
 * one nanosecond per instruction executed, plus what the device adds.
 *
 * It prints one "BLKBENCH key=value" line per figure and "BLKBENCH done"
 * last; a failed system call or data that does not read back as written
 * prints "BLKBENCH error ..." and exits 1.
 *
 * A static program without a C library (the cross compiler here has none
 * for Linux): Linux arm64 system calls through svc, its own _start.
 */

typedef unsigned long u64;
typedef long s64;
typedef unsigned int u32;

#define SYS_openat 56
#define SYS_close 57
#define SYS_write 64
#define SYS_pread64 67
#define SYS_pwrite64 68
#define SYS_fsync 82
#define SYS_exit 93
#define SYS_clock_gettime 113

#define AT_FDCWD (-100)
#define O_RDWR 02
#define O_DIRECT 0200000        /* arm64's value (asm-generic differs) */
#define CLOCK_MONOTONIC 1

#define MiB (1024ul * 1024)
#define SEQ_CHUNK MiB
#define RANDOM_BLOCK 4096ul
#define DEFAULT_SEQ_MIB 32
#define DEFAULT_RANDOM_READS 2000
#define MAX_SEQ_MIB 4096

struct timespec {
	s64 tv_sec;
	s64 tv_nsec;
};

/* O_DIRECT wants the buffer aligned to the device's logical block: a page is. */
static unsigned char buffer[SEQ_CHUNK] __attribute__((aligned(4096)));

static s64 syscall4(s64 nr, s64 a, s64 b, s64 c, s64 d)
{
	register s64 x8 __asm__("x8") = nr;
	register s64 x0 __asm__("x0") = a;
	register s64 x1 __asm__("x1") = b;
	register s64 x2 __asm__("x2") = c;
	register s64 x3 __asm__("x3") = d;

	__asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3) : "memory");
	return x0;
}

static u64 length(const char *s)
{
	u64 n = 0;

	while (s[n])
		n++;
	return n;
}

static void put(const char *s)
{
	syscall4(SYS_write, 1, (s64)s, (s64)length(s), 0);
}

/* Appends the decimal digits of v to the line at *at. */
static void append_u64(char *line, u64 *at, u64 v)
{
	char digits[24];
	u32 n = 0;

	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		line[(*at)++] = digits[--n];
}

static void append(char *line, u64 *at, const char *s)
{
	while (*s)
		line[(*at)++] = *s++;
}

/* "BLKBENCH key=value" with value in thousandths, printed as N.NNN. */
static void report_milli(const char *key, u64 milli)
{
	char line[128];
	u64 at = 0;

	append(line, &at, "BLKBENCH ");
	append(line, &at, key);
	append(line, &at, "=");
	append_u64(line, &at, milli / 1000);
	append(line, &at, ".");
	line[at++] = (char)('0' + milli / 100 % 10);
	line[at++] = (char)('0' + milli / 10 % 10);
	line[at++] = (char)('0' + milli % 10);
	line[at++] = '\n';
	line[at] = 0;
	put(line);
}

static void report(const char *key, u64 value)
{
	char line[128];
	u64 at = 0;

	append(line, &at, "BLKBENCH ");
	append(line, &at, key);
	append(line, &at, "=");
	append_u64(line, &at, value);
	line[at++] = '\n';
	line[at] = 0;
	put(line);
}

static void fail(const char *what)
{
	put("BLKBENCH error ");
	put(what);
	put("\n");
	syscall4(SYS_exit, 1, 0, 0, 0);
	for (;;)
		;
}

static u64 now_ns(void)
{
	struct timespec t;

	if (syscall4(SYS_clock_gettime, CLOCK_MONOTONIC, (s64)&t, 0, 0) != 0)
		fail("clock_gettime");
	return (u64)t.tv_sec * 1000000000ul + (u64)t.tv_nsec;
}

static u64 parse_u64(const char *s, u64 fallback)
{
	u64 v = 0;

	if (!s || !*s)
		return fallback;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 1000000000ul)
			fail("bad number in the arguments");
		v = v * 10 + (u64)(*s - '0');
	}
	return v;
}

/* Bytes per second over `ns` as MB/s (10^6 bytes), in thousandths. */
static u64 mbps_milli(u64 bytes, u64 ns)
{
	return ns ? bytes * 1000ul / ns * 1000ul + bytes * 1000ul % ns * 1000ul / ns : 0;
}

/* Each MiB carries its index in its first and last words: a read that
 * brings back the wrong MiB, or stale data, is caught. */
static void stamp(u64 index)
{
	u64 *words = (u64 *)buffer;

	words[0] = index ^ 0x424c4b42454e4348ul;
	words[SEQ_CHUNK / sizeof(u64) - 1] = ~index;
}

static int stamped(u64 index)
{
	const u64 *words = (const u64 *)buffer;

	return words[0] == (index ^ 0x424c4b42454e4348ul) &&
	       words[SEQ_CHUNK / sizeof(u64) - 1] == ~index;
}

static void sequential(s64 fd, u64 mib)
{
	u64 start, ns;

	for (u64 i = 0; i < SEQ_CHUNK; i++)
		buffer[i] = (unsigned char)(i * 7 + 1);
	start = now_ns();
	for (u64 i = 0; i < mib; i++) {
		stamp(i);
		if (syscall4(SYS_pwrite64, fd, (s64)buffer, SEQ_CHUNK, (s64)(i * SEQ_CHUNK)) !=
		    (s64)SEQ_CHUNK)
			fail("write");
	}
	if (syscall4(SYS_fsync, fd, 0, 0, 0) != 0)
		fail("fsync");
	ns = now_ns() - start;
	report("seq-write-ns", ns);
	report_milli("seq-write-MBps", mbps_milli(mib * SEQ_CHUNK, ns));

	start = now_ns();
	for (u64 i = 0; i < mib; i++) {
		if (syscall4(SYS_pread64, fd, (s64)buffer, SEQ_CHUNK, (s64)(i * SEQ_CHUNK)) !=
		    (s64)SEQ_CHUNK)
			fail("read");
		if (!stamped(i))
			fail("read back other data than was written");
	}
	ns = now_ns() - start;
	report("seq-read-ns", ns);
	report_milli("seq-read-MBps", mbps_milli(mib * SEQ_CHUNK, ns));
}

/* xorshift64: a fixed sequence, the same on every run and machine. */
static u64 next_random(u64 *state)
{
	u64 x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	return x;
}

static void random_reads(s64 fd, u64 mib, u64 count)
{
	u64 blocks = mib * SEQ_CHUNK / RANDOM_BLOCK;
	u64 state = 0x9e3779b97f4a7c15ul;
	u64 start, ns;

	start = now_ns();
	for (u64 i = 0; i < count; i++) {
		u64 block = next_random(&state) % blocks;

		if (syscall4(SYS_pread64, fd, (s64)buffer, RANDOM_BLOCK, (s64)(block * RANDOM_BLOCK)) !=
		    (s64)RANDOM_BLOCK)
			fail("random read");
	}
	ns = now_ns() - start;
	report("rand-read-count", count);
	report("rand-read-ns", ns);
	report_milli("rand-read-ns-per-request", count ? ns * 1000ul / count : 0);
	report_milli("rand-read-IOPS", ns ? count * 1000000000ul / ns * 1000ul +
						    count * 1000000000ul % ns * 1000ul / ns : 0);
}

static int run(int argc, char **argv)
{
	u64 mib, count;
	s64 fd;

	if (argc < 2)
		fail("usage: blkbench DEVICE [SEQ_MIB [RANDOM_READS]]");
	mib = parse_u64(argc > 2 ? argv[2] : 0, DEFAULT_SEQ_MIB);
	count = parse_u64(argc > 3 ? argv[3] : 0, DEFAULT_RANDOM_READS);
	if (mib == 0 || mib > MAX_SEQ_MIB)
		fail("SEQ_MIB must be 1 to 4096");
	fd = syscall4(SYS_openat, AT_FDCWD, (s64)argv[1], O_RDWR | O_DIRECT, 0);
	if (fd < 0)
		fail("open (O_DIRECT)");
	report("seq-MiB", mib);
	sequential(fd, mib);
	random_reads(fd, mib, count);
	syscall4(SYS_close, fd, 0, 0, 0);
	put("BLKBENCH done\n");
	return 0;
}

/* The kernel starts us with sp at argc, then argv's pointers. */
__attribute__((used)) static void start_c(u64 *sp)
{
	syscall4(SYS_exit, run((int)sp[0], (char **)(sp + 1)), 0, 0, 0);
}

__asm__(".text\n"
	".globl _start\n"
	"_start:\n"
	"	mov x0, sp\n"
	"	bl start_c\n"
	"1:	b 1b\n");

/* What the compiler may call for loops it recognises. */
void *memset(void *p, int c, u64 n)
{
	unsigned char *d = p;

	while (n--)
		*d++ = (unsigned char)c;
	return p;
}

void *memcpy(void *dst, const void *src, u64 n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	while (n--)
		*d++ = *s++;
	return dst;
}
