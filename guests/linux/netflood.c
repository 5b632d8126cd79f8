/*
 * netflood: floods the guest's network with full-size frames, as fast as its
 * CPU and device take them, for the switch fairness test
 * (tests/integration/test_net_rate.py).
 *
 *   netflood IFINDEX SRC_MAC MAX_SECONDS STOP_FILE
 *
 * Sends 1514-byte Ethernet frames from SRC_MAC (the vif's own, or the
 * switch drops them as spoofed before they cost anything) through a raw
 * packet socket on interface IFINDEX, alternately to the broadcast address
 * and to a unicast MAC no port has (02:00:00:00:00:99): both kinds are
 * flooded to every other port. EtherType 0x88b5 (local experimental), so
 * receivers' stacks drop them. It stops when STOP_FILE exists (looked for
 * every 64 frames) or after MAX_SECONDS of CLOCK_MONOTONIC, whichever is
 * first, and prints "NETFLOOD sent=N failed=M" (a full queue fails a send,
 * which is counted and tried again at once).
 *
 * A static program without a C library (the cross compiler here has none
 * for Linux): Linux arm64 system calls through svc, its own _start.
 */

typedef unsigned long u64;
typedef long s64;
typedef unsigned int u32;
typedef unsigned short u16;
typedef unsigned char u8;

#define SYS_faccessat 48
#define SYS_write 64
#define SYS_exit 93
#define SYS_clock_gettime 113
#define SYS_socket 198
#define SYS_sendto 206

#define AT_FDCWD (-100)
#define F_OK 0
#define AF_PACKET 17
#define SOCK_RAW 3
#define CLOCK_MONOTONIC 1

#define FRAME_LEN 1514
#define ETHERTYPE_EXPERIMENTAL 0x88b5
#define CHECK_EVERY 64
#define MAX_SECONDS_LIMIT 3600

struct timespec {
	s64 tv_sec;
	s64 tv_nsec;
};

struct sockaddr_ll {
	u16 sll_family;
	u16 sll_protocol;
	int sll_ifindex;
	u16 sll_hatype;
	u8 sll_pkttype;
	u8 sll_halen;
	u8 sll_addr[8];
};

static u8 frame[2][FRAME_LEN];

static s64 syscall6(s64 nr, s64 a, s64 b, s64 c, s64 d, s64 e, s64 f)
{
	register s64 x8 __asm__("x8") = nr;
	register s64 x0 __asm__("x0") = a;
	register s64 x1 __asm__("x1") = b;
	register s64 x2 __asm__("x2") = c;
	register s64 x3 __asm__("x3") = d;
	register s64 x4 __asm__("x4") = e;
	register s64 x5 __asm__("x5") = f;

	__asm__ volatile("svc #0" : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
			 : "memory");
	return x0;
}

static void put(const char *s)
{
	u64 n = 0;

	while (s[n])
		n++;
	syscall6(SYS_write, 1, (s64)s, (s64)n, 0, 0, 0);
}

static void put_u64(u64 v)
{
	char buf[24];
	int i = sizeof(buf) - 1;

	buf[i] = 0;
	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v && i > 0);
	put(buf + i);
}

static void fail(const char *why)
{
	put("NETFLOOD error ");
	put(why);
	put("\n");
	syscall6(SYS_exit, 1, 0, 0, 0, 0, 0);
	for (;;)
		;
}

/* A decimal number up to `max`; fails on anything else. */
static u64 number(const char *s, u64 max, const char *what)
{
	u64 v = 0;

	if (!*s)
		fail(what);
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			fail(what);
		v = v * 10 + (u64)(*s - '0');
		if (v > max)
			fail(what);
	}
	return v;
}

static int hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "02:00:00:00:00:03" */
static void parse_mac(const char *s, u8 *mac)
{
	for (int i = 0; i < 6; i++) {
		int hi = hex(s[0]), lo = hi < 0 ? -1 : hex(s[1]);

		if (lo < 0 || (i < 5 && s[2] != ':') || (i == 5 && s[2]))
			fail("bad MAC");
		mac[i] = (u8)(hi << 4 | lo);
		s += 3;
	}
}

static u64 now_s(void)
{
	struct timespec ts;

	if (syscall6(SYS_clock_gettime, CLOCK_MONOTONIC, (s64)&ts, 0, 0, 0, 0))
		fail("clock_gettime");
	return (u64)ts.tv_sec;
}

static void build_frames(const u8 *src)
{
	static const u8 dst[2][6] = {
		{ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
		{ 0x02, 0x00, 0x00, 0x00, 0x00, 0x99 },
	};

	for (int k = 0; k < 2; k++) {
		for (int i = 0; i < 6; i++) {
			frame[k][i] = dst[k][i];
			frame[k][6 + i] = src[i];
		}
		frame[k][12] = ETHERTYPE_EXPERIMENTAL >> 8;
		frame[k][13] = ETHERTYPE_EXPERIMENTAL & 0xff;
		for (int i = 14; i < FRAME_LEN; i++)
			frame[k][i] = (u8)i;
	}
}

static int run(int argc, char **argv)
{
	struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_halen = 6 };
	u64 sent = 0, failed = 0, end;
	u8 src[6];
	s64 fd;

	if (argc != 5)
		fail("usage: netflood IFINDEX SRC_MAC MAX_SECONDS STOP_FILE");
	to.sll_ifindex = (int)number(argv[1], 0x7fffffff, "bad IFINDEX");
	parse_mac(argv[2], src);
	end = now_s() + number(argv[3], MAX_SECONDS_LIMIT, "bad MAX_SECONDS");
	build_frames(src);
	fd = syscall6(SYS_socket, AF_PACKET, SOCK_RAW, 0, 0, 0, 0);
	if (fd < 0)
		fail("socket");
	for (u64 i = 0;; i++) {
		if (i % CHECK_EVERY == 0 &&
		    (now_s() >= end || syscall6(SYS_faccessat, AT_FDCWD, (s64)argv[4], F_OK, 0, 0, 0) == 0))
			break;
		if (syscall6(SYS_sendto, fd, (s64)frame[i & 1], FRAME_LEN, 0, (s64)&to, sizeof(to)) ==
		    FRAME_LEN)
			sent++;
		else
			failed++;
	}
	put("NETFLOOD sent=");
	put_u64(sent);
	put(" failed=");
	put_u64(failed);
	put("\n");
	return 0;
}

/* The kernel starts us with sp at argc, then argv[]. */
__attribute__((used)) static void start_c(u64 *sp)
{
	syscall6(SYS_exit, run((int)sp[0], (char **)(sp + 1)), 0, 0, 0, 0, 0);
}

__asm__(".text\n"
	".globl _start\n"
	"_start:\n"
	"	mov x0, sp\n"
	"	bl start_c\n"
	"1:	b 1b\n");

/* What the compiler may call for the initialisers and loops above. */
void *memset(void *p, int c, u64 n)
{
	u8 *d = p;

	while (n--)
		*d++ = (u8)c;
	return p;
}

void *memcpy(void *dst, const void *src, u64 n)
{
	u8 *d = dst;
	const u8 *s = src;

	while (n--)
		*d++ = *s++;
	return dst;
}
