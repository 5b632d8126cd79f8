/* Virtual machines and their vCPUs. */
#ifndef BULKHEAD_CORE_VM_H
#define BULKHEAD_CORE_VM_H

#include "arch.h"
#include "core/config.h"
#include "core/console.h"
#include "core/crash_limit.h"
#include "core/dev_arena.h"
#include "core/guest_layout.h"
#include "core/guest_ram.h"
#include "core/mmio.h"
#include "core/package.h"
#include "core/spinlock.h"
#include "core/vboard.h"
#include "core/vcpu_next.h"

#define MAX_VMS 16

enum vm_state {
	VM_FREE,      /* slot unused */
	VM_RUNNING,
	VM_STOPPED,   /* powered off or crashed and kept (on_* = preserve) */
	VM_DYING,     /* destroyed: its memory goes when the last reference does */
};

/* Why a vCPU left the guest, for statistics. */
enum trap_kind {
	TRAP_HYPERCALL,   /* HVC or SMC */
	TRAP_MMIO,        /* emulated device access */
	TRAP_ABORT,       /* access to nothing: external abort injected */
	TRAP_SYSREG,      /* system register or cache maintenance */
	TRAP_WFX,         /* WFI or WFE */
	TRAP_IRQ,         /* physical interrupt */
	TRAP_OTHER,
	TRAP_KINDS,
};

enum vcpu_state {
	VCPU_OFF,            /* not started, or turned itself off */
	VCPU_RUNNABLE,
	VCPU_BLOCKED,        /* in WFI until a virtual interrupt is pending */
};

struct vm;

struct vcpu {
	struct arch_vcpu arch;
	struct vm *vm;
	u32 id;
	u32 pcpu;              /* physical CPU whose run queue holds it */
	enum vcpu_state state; /* changed under that run queue's lock */
	bool running;          /* loaded on its CPU right now */
	bool moving;           /* vcpu-pin is taking it to another CPU: do not run it */
	bool irq_dirty;        /* its interrupt state changed: refresh what the CPU holds of it before entry */
	char exit_why[96];     /* why the VM is to end (vcpu_exit), "" once handled */
	u64 wake_at;           /* counter value at which a blocked vCPU's timer fires, 0: none */
	u64 traps;
	u64 trap_count[TRAP_KINDS];
	u64 irqs_injected;     /* interrupts handed to the guest as pending */
	u64 cpu_time;          /* counter ticks spent in the guest */
	u64 affinity;          /* physical CPUs it may run on (0: any) */
	u64 vtime;             /* weighted CPU time: the credit scheduler's order */
	u64 run_start;         /* counter value when it was last put on its CPU */
	bool yielding;         /* left the guest at a WFE: others go first */
	bool woke;             /* woken from BLOCKED, not run since: may cut the slice of the one running */
	/* Hypervisor work to finish before its guest runs again, done in its
	 * own time slices (sched_set_task): one bounded step per call, VCPU_YIELD
	 * while there is more, VCPU_RESUME when done, or an exit. */
	enum vcpu_next (*task)(struct vcpu *vcpu);
	u64 task_pos;          /* the task's progress (bytes of RAM walked) */
	struct vcpu *rq_next;  /* run queue link */
};

/*
 * Lifetime: a VM's slot, memory and devices stay while anyone holds a
 * reference (vm_get_*). Existing is one reference; destroying a VM stops its
 * vCPUs, marks it VM_DYING (no new references) and drops that one: the last
 * vm_put() destroys its devices and frees its memory, scrubbed. Lock order: vms_lock (vm.c) is never held while another lock is
 * taken; code that locks two VMs' objects takes the lower VM id's first.
 */
struct volume;
struct switch_port;

/* What `network-list` shows of a vif beyond its switch port's own data,
 * asked of the vif's device (core/ names no device). */
struct vif_status {
	const char *state;       /* "connected", "initialising", "needs reset", "unplugged" */
	u64 tx_errors;           /* frames the device refused before the switch saw them */
	u64 rx_errors;           /* frames lost in the device's RX path (bad buffers) */
};

/* What the shell shows of a VM's balloon, asked of its device. */
#define VM_BALLOON_STATS 16
struct vm_balloon_status {
	u64 target;              /* bytes the guest is asked to keep (maxmem - balloon) */
	u64 guest_held;          /* bytes the guest says its balloon holds (`actual`) */
	u64 inflated, deflated;  /* pages taken back / given again by request */
	u64 reported;            /* pages taken back by free page reporting */
	u64 refused;             /* PFNs refused: outside its RAM, twice, no memory */
	u64 stats_updates;       /* stats buffers the guest sent */
	u64 stat[VM_BALLOON_STATS];  /* by virtio tag; valid where stat_seen's bit is */
	u32 stat_seen;
	/* the last target set: from mem-set until the VM held it (make bench's rows) */
	bool set_seen;           /* a target was set since the VM was created */
	bool set_reached;        /* and the VM holds it now, set_ns after it was set */
	u64 set_ns;              /* machine time (instructions under -icount shift=0) */
	u64 set_moved;           /* bytes the VM's RAM moved by to get there */
};

struct vm_balloon {
	void *dev;               /* NULL: the VM has no balloon */
	int (*set_target)(void *dev, u64 bytes, const char **why);
	void (*status)(void *dev, struct vm_balloon_status *out);
};

struct vm_vif {
	struct switch_port *port;   /* NULL: no device for cfg.vifs[i] */
	void (*status)(struct switch_port *port, struct vif_status *out);
};

struct vm {
	u32 id;
	enum vm_state state;
	u32 refs;                /* see above; changed under vms_lock */
	struct vm *put_next;     /* vm_put_soon()'s list of last references (vms_lock) */
	struct vm_config cfg;
	const struct package *pkg;
	u32 pkg_index;           /* this VM's index in the package */
	/* A package of the VM's own (one read from the pool): handed back when
	 * the VM is freed; NULL for the boot image's, which stays. */
	void (*pkg_put)(const struct package *pkg);
	char cfg_file[PKG_NAME_MAX];
	struct arch_stage2 s2;
	struct guest_ram ram;     /* its RAM's host pages (core/guest_ram.h) */
	struct spinlock ram_lock; /* changes to ram and its stage 2 while it runs (core/vm_ram.h) */
	u64 ram_faults_filled;    /* touches of pages it had given back, given fresh ones */
	u64 ram_faults_refused;   /* ... that got an abort: the pool had none */
	paddr_t fw_pa;           /* firmware pages (read-only at IPA 0), pa 0 when none */
	u64 fw_size;
	paddr_t fw_blank_pa;     /* 2 MiB of zeros: the rest of the flash window */
	struct vcpu *vcpus;
	u32 nvcpus;
	bool stopping;           /* one vCPU is tearing the VM down: others keep out */
	bool paused;             /* the administrator paused it: no vCPU runs */
	u64 counter_offset;      /* physical counter when the VM last started */
	struct arch_vm arch;      /* its interrupt controller, the arch's lock for starting vCPUs */
	struct dev_arena dev_mem;  /* its small objects: vCPUs, board table, devices' state */
	struct vboard *board;      /* every device it sees (core/vboard.h) */
	/* The pool volume of each cfg.disks[i], attached at creation, detached
	 * at its free (core/vm_volumes.h); NULL when not attached. */
	struct volume *volumes[CONFIG_MAX_DISKS];
	/* Each cfg.vifs[i]'s switch port, set by its device at creation; the
	 * port's memory stays with the VM's. */
	struct vm_vif vifs[CONFIG_MAX_VIFS];
	struct mmio_bus bus;
	/* The device that takes typed console input, and the one with the power
	 * button, each with its kind's entry point (set by the device's create). */
	struct vdev *console_dev;
	bool (*console_input)(struct vdev *d, u8 c);
	struct vdev *power_dev;
	void (*power_press)(struct vdev *d);
	struct vm_balloon balloon;  /* set by its balloon device's create */
	struct console_ring con;   /* its console output; the buffer is one page of its own */
	u32 restarts;
	bool crashed;              /* VM_STOPPED after a crash (xl's c), not a power off (s) */
	char last_stop[128];       /* why it last stopped ("crashed: ..."), "" never */
	struct crash_history crashes;  /* on_crash restart's rate limit */
	struct spinlock cap_lock;  /* guards the cap accounting below */
	u64 cap_period;          /* cap period (counter / period length) of cap_used */
	u64 cap_used;            /* counter ticks all vCPUs ran in that period */
};

extern struct vm vms[MAX_VMS];

/* Creates VM number `index` of the package and starts its first vCPU. */
int vm_create_from_package(const struct package *pkg, u32 index);
/* Creates every VM of the boot package whose config says autostart; returns
 * how many are defined but left for `create`. */
u32 vm_boot_all(const struct package *pkg);
/* The shell's `create NAME`: a VM of the boot image that is not running,
 * else one defined on the pool (read from the disk first, so created later:
 * 0 then means the read started). */
int vm_create_by_name(const char *name, const char **why);
/* Creates the only VM of `pkg`, a package the VM then owns: `put` gets it
 * back when the VM is freed, or at once when it cannot be created. */
int vm_create_from_pool(const struct package *pkg, void (*put)(const struct package *pkg));
/* True when the boot image has a VM config of that name. */
bool vm_in_boot_image(const char *name);
/* Called on the vCPU's CPU when arch_vcpu_run() returned an exit (power off,
 * reboot, crash): stops the VM and applies its on_* action. */
void vm_handle_exit(struct vcpu *vcpu, enum vcpu_next exit);
/*
 * A trap handler ends the VM: records why (printed when the exit is handled)
 * and returns `exit`, so that the handler says
 * `return vcpu_exit(vcpu, VCPU_EXIT_CRASH, "...", ...)`. A yield needs no
 * helper (handlers return VCPU_YIELD): nothing is printed for it, and it is
 * on the path of every blocking WFI. Until the exit is handled the first
 * reason recorded is the one kept.
 */
enum vcpu_next vcpu_exit(struct vcpu *vcpu, enum vcpu_next exit, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
u32 vm_running_count(void);

/* Tells a vCPU its interrupt state changed: wakes it if blocked, kicks its CPU if it runs elsewhere. */
void vcpu_kick(struct vcpu *vcpu);
/* vcpu_kick without marking the vCPU's interrupt state dirty: for a change
 * the arch records itself (arm64's SGIs, which enter without a refresh). */
void vcpu_notify(struct vcpu *vcpu);
/* True when guest-physical [ipa, ipa + size) lies inside the VM's RAM (backed
 * or not: guest_mem says whether each page is). */
static inline bool vm_ram_contains(const struct vm *vm, ipaddr_t ipa, u64 size)
{
	u64 a = ipa_addr(ipa);

	return a >= vm->ram.base && size <= vm->ram.size && a - vm->ram.base <= vm->ram.size - size;
}

/* True when a vCPU may start at `ipa`: in RAM, or in the VM's firmware flash. */
static inline bool vm_can_start_at(const struct vm *vm, u64 ipa)
{
	_Static_assert(GUEST_FLASH_BASE == 0, "the flash window starts at IPA 0");
	if (pa_addr(vm->fw_pa) && ipa <= GUEST_FLASH_SIZE - 4)
		return true;
	return vm_ram_contains(vm, ipa_init(ipa), 4);
}

/* A reference on the VM with this id (or name, or id in digits); NULL when
 * there is none or it is being destroyed. Give it back with vm_put(). */
struct vm *vm_get_by_id(u32 id);
struct vm *vm_get_by_name_or_id(const char *what);
void vm_put(struct vm *vm);
/* vm_put() for an interrupt handler, where freeing a VM would be unbounded
 * work: a reference that is not the last is dropped at once, the last one
 * by CPU 0's deferred work. */
void vm_put_soon(struct vm *vm);
/* One more reference on a VM the caller reaches already (a device of it
 * starting I/O); false when it is being destroyed. */
bool vm_get(struct vm *vm);
/* The next VM id after `id` (0 after the last). */
u32 vm_next_id(u32 id);
/* A byte typed at the console while this VM has the input. */
/* False when the VM's UART receive FIFO is full: the byte was not taken. */
bool vm_console_input(struct vm *vm, u8 c);
/* Administrator actions (the shell); each returns 0 or -1 with `why` set. */
int vm_pause(struct vm *vm, bool pause, const char **why);
int vm_destroy(struct vm *vm, const char **why);
int vm_reboot(struct vm *vm, const char **why);
/* Presses the VM's power button; the guest decides what to do about it. */
int vm_shutdown(struct vm *vm, const char **why);
/* Restricts a vCPU to the CPUs of `mask` (0: any), moving it if it is elsewhere. */
int vm_vcpu_pin(struct vm *vm, u32 vcpu, u64 mask, const char **why);
/* The credit scheduler's weight and cap of a shared VM. */
int vm_set_credit(struct vm *vm, u32 weight, u32 cap, const char **why);
/* running, blocked (every vCPU waits or is off), paused, shutdown, crashed, dying. */
const char *vm_state_name(const struct vm *vm);
/* The name of VM `index` of the boot image (false past the last, or for a
 * bad config), and whether a VM of that name exists now. */
bool vm_package_name(u32 index, char *name, u32 size, bool *exists);

/* Zeroed memory for the VM's vCPUs, board or a device's state, freed
 * (scrubbed) with the VM; NULL when out of memory. */
void *vm_dev_alloc(struct vm *vm, u64 size);
/* The device that takes the VM's console input (NULL: none yet); `input`
 * returns false when the device has no room for the byte. */
struct vdev *vm_console_device(const struct vm *vm);
void vm_set_console_device(struct vm *vm, struct vdev *d, bool (*input)(struct vdev *d, u8 c));
/* The device whose button `shutdown` presses (NULL: none yet). */
struct vdev *vm_power_button_device(const struct vm *vm);
void vm_set_power_button_device(struct vm *vm, struct vdev *d, void (*press)(struct vdev *d));

#endif
