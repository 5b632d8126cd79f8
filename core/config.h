/*
 * VM configuration in Xen's xl.cfg syntax. The same parser runs on the host
 * (the `bulkhead` tool checks configs before building an image) and in the
 * hypervisor (which parses the config text carried in the boot image).
 */
#ifndef BULKHEAD_CORE_CONFIG_H
#define BULKHEAD_CORE_CONFIG_H

#include "types.h"

#define CONFIG_NAME_MAX 32
/* on_crash = "restart" preserves a VM that crashed more than crash_limit
 * times within crash_window seconds (docs/config.md). */
#define CONFIG_DEFAULT_CRASH_LIMIT 5
#define CONFIG_DEFAULT_CRASH_WINDOW 60
#define CONFIG_MAX_CRASH_LIMIT 64
#define CONFIG_MAX_CRASH_WINDOW 86400
#define CONFIG_PATH_MAX 256
#define CONFIG_EXTRA_MAX 1024
#define CONFIG_MAX_VCPUS 64
#define CONFIG_MAX_MEMORY_MIB (1024 * 1024)
#define CONFIG_DEFAULT_WEIGHT 256       /* as Xen's credit scheduler */
#define CONFIG_MAX_WEIGHT 65535
#define CONFIG_MAX_CAP (100 * CONFIG_MAX_VCPUS)
/* `disk = [ 'vdev=xvda, access=rw, target=NAME', ... ]` (xl.cfg's disk spec) */
#define CONFIG_MAX_DISKS 8
#define CONFIG_VOLUME_NAME_MAX 37       /* a GPT partition name: 36 characters */

struct config_disk {
	char vdev[8];                       /* xvda, xvdb, ...: the order the guest sees */
	char target[CONFIG_VOLUME_NAME_MAX]; /* the storage pool volume */
	bool read_only;                     /* access=ro */
	u32 line;                           /* where the spec is, for later errors */
};

/* `vif = [ 'mac=02:00:00:00:00:01, bridge=br0, rate=10Mb/s, vlan=5', ... ]`
 * (xl.cfg's vif spec; vlan is Bulkhead's). The guest sees its vifs as
 * virtio-net devices in list order (eth0, eth1, ...). */
#define CONFIG_MAX_VIFS 8
#define CONFIG_BRIDGE_NAME_MAX 16       /* a switch name: 15 characters */
#define CONFIG_DEFAULT_BRIDGE "br0"

struct config_vif {
	u8 mac[6];                          /* valid when has_mac */
	bool has_mac;                       /* else derived from the VM name and index */
	char bridge[CONFIG_BRIDGE_NAME_MAX]; /* the switch it joins; default br0 */
	u64 rate_bps;                       /* rate= in bits per second; 0: unlimited */
	u32 rate_interval_us;               /* rate=...@INTERVAL; 0 when no rate */
	u16 vlan;                           /* 1-4094: access port of that VLAN; 0: untagged */
	u32 line;                           /* where the spec is, for later errors */
};

/* `sve = "hw" | "disabled" | "128" ... "2048"` (xl.cfg's): the longest SVE
 * vector length the guest may use, in bits. */
#define CONFIG_SVE_HW 0xffff            /* the machine's longest (the default) */
#define CONFIG_SVE_MAX_VL 2048          /* the architecture's longest */

enum vm_action {
	ACTION_DESTROY,
	ACTION_RESTART,
	ACTION_PRESERVE,
};

struct vm_config {
	char name[CONFIG_NAME_MAX];
	u32 vcpus;                      /* default 1 */
	u64 memory_mib;                 /* required: what the guest may use at first (the balloon's target) */
	u64 maxmem_mib;                 /* the guest's RAM size; default memory_mib, never below it */
	u64 ram_base;                   /* guest-physical base of RAM; default 0x40000000 */
	char kernel[CONFIG_PATH_MAX];   /* required unless `firmware` is given */
	bool kernel_raw;                /* kernel_format = "raw"; else an Image or ELF ("auto") */
	char firmware[CONFIG_PATH_MAX]; /* boot ROM image at IPA 0; "" when absent */
	char ramdisk[CONFIG_PATH_MAX];  /* optional, "" when absent */
	char extra[CONFIG_EXTRA_MAX];   /* kernel command line ("extra" or "cmdline") */
	enum vm_action on_poweroff;     /* default destroy */
	enum vm_action on_reboot;       /* default restart */
	enum vm_action on_crash;        /* default destroy */
	bool autostart;                 /* start at boot (default), or wait for `create` */
	/* the balloon's offers to the guest (it has one when maxmem > memory) */
	bool balloon_deflate_on_oom;    /* may deflate when it runs out (default no) */
	bool balloon_free_page_reporting; /* reports free pages to give back (default yes) */
	u64 cpu_mask;                   /* `cpus`: physical CPUs the vCPUs may use; 0 = any */
	struct config_disk disks[CONFIG_MAX_DISKS];  /* in vdev order */
	u32 ndisks;
	struct config_vif vifs[CONFIG_MAX_VIFS];     /* in list order */
	u32 nvifs;
	bool pinned;                    /* `sched = "pinned"`: each vCPU has a CPU to itself */
	u32 weight;                     /* share of CPU time against other shared VMs */
	u32 cap;                        /* at most this % of one CPU (0: no cap) */
	u16 sve_vl;                     /* bits, a multiple of 128; 0: hidden; CONFIG_SVE_HW */
	u32 sve_line;                   /* where `sve` is (0: not given), for later errors */
	u32 crash_limit;                /* on_crash restart: at most this many crashes ... */
	u32 crash_window_s;             /* ... within this many seconds, then preserve */
};

struct config_error {
	u32 line;       /* 1-based line of the offending text; 0 when not tied to a line */
	char key[CONFIG_NAME_MAX]; /* key involved, "" when none */
	char msg[160];  /* what is wrong, in words */
};

/*
 * Parses `len` bytes of config text (not necessarily NUL-terminated).
 * Returns 0 on success; otherwise fills `err` and returns -1, leaving `out`
 * unspecified.
 */
int config_parse(const char *text, size_t len, struct vm_config *out, struct config_error *err);

const char *config_action_name(enum vm_action a);

/*
 * One disk spec ("vdev=xvda, access=rw, target=NAME"; core/config_disk.c):
 * 0, or -1 with what is wrong in `why`. `line` is left 0 for the caller.
 */
int config_disk_spec(const char *s, size_t n, struct config_disk *out, char *why,
		     size_t why_size);
/* The letter (a-z) a vdev name ends with: the guest's order of its disks. */
char config_disk_letter(const char *vdev);
/*
 * One vif spec ("mac=02:00:00:00:00:01, bridge=br0, rate=10Mb/s, vlan=5";
 * core/config_vif.c): 0, or -1 with what is wrong in `why`. `line` is left 0.
 */
int config_vif_spec(const char *s, size_t n, struct config_vif *out, char *why,
		    size_t why_size);
/* A switch name as `bridge=` and the boot option `uplink=` take it: 1 to 15
 * characters of A-Z a-z 0-9 _ . - */
bool config_bridge_name_ok(const char *s, size_t n);
/* "02:00:00:00:00:01": a MAC as the config writes it, NUL-terminated. */
#define CONFIG_MAC_TEXT 18
void config_mac_text(const u8 mac[6], char out[CONFIG_MAC_TEXT]);
/* xl's CPU list ("all", "2", "0-3", "1,3") as a mask; "all" gives 0. */
bool config_parse_cpu_list(const char *s, const char *end, u64 *mask);

#endif
