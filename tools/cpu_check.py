"""The configs' CPUs checked against the machine `bulkhead` is told of
(--cpus), before anything is built or booted.

A `cpus` list naming a CPU the machine lacks is an error. Pinned VMs
(sched = "pinned") each take a CPU of their own per vCPU: the hypervisor
creates the autostarted ones first, in the order given, each vCPU reserving
the highest free CPU its `cpus` allows (core/sched.c, sched_reserve_cpu);
then every shared VM needs a CPU of its `cpus` that no pinned VM owns
(sched_pick_cpu). This replays that placement so that a VM the hypervisor
would refuse at boot is refused here, naming its file and line.
"""

import os
import re


class CpuError(Exception):
    """An error the user must fix, already worded in full."""


def max_cpus(root):
    """MAX_CPUS of core/platform.h: the CPUs Bulkhead uses at most."""
    with open(os.path.join(root, "core", "platform.h"), encoding="utf-8") as f:
        match = re.search(r"^#define MAX_CPUS (\d+)", f.read(), re.M)
    if not match:
        raise CpuError("core/platform.h defines no MAX_CPUS")
    return int(match.group(1))


def cpu_list(mask):
    return ",".join(str(c) for c in range(64) if mask >> c & 1)


def allowed(cfg, ncpus):
    return [c for c in range(ncpus) if not cfg["cpu_mask"] or cfg["cpu_mask"] >> c & 1]


def check_cpus(configs, ncpus, where):
    """`where(cfg, key)` words FILE:LINE: KEY for an error."""
    for cfg in configs:
        outside = cfg["cpu_mask"] >> ncpus
        if outside:
            listed = cpu_list(outside << ncpus)
            raise CpuError(f"{where(cfg, 'cpus')}: the machine has no CPU {listed}: it has "
                           f"{ncpus} CPUs, 0-{ncpus - 1} (--cpus)")
    owner = {}                                    # CPU -> the pinned VM's config
    for cfg in configs:
        if not cfg["pinned"] or not cfg["autostart"]:
            continue
        free = [c for c in reversed(allowed(cfg, ncpus)) if c not in owner]
        if len(free) < cfg["vcpus"]:
            taken = sorted({owner[c]["name"] for c in allowed(cfg, ncpus) if c in owner})
            by = f" (the others are owned by {', '.join(taken)})" if taken else ""
            raise CpuError(f"{where(cfg, 'sched')}: \"pinned\" needs a free CPU for each of "
                           f"its {cfg['vcpus']} vCPUs, and the {ncpus}-CPU machine (--cpus) "
                           f"has {len(free)} of its `cpus` left{by}")
        for c in free[:cfg["vcpus"]]:
            owner[c] = cfg
    for cfg in configs:
        if cfg["pinned"] or not cfg["autostart"]:
            continue
        if not [c for c in allowed(cfg, ncpus) if c not in owner]:
            raise CpuError(f"{where(cfg, 'cpus')}: every CPU this VM may use is owned by a "
                           f"pinned VM ({', '.join(sorted({o['name'] for o in owner.values()}))})"
                           f" on the {ncpus}-CPU machine (--cpus)")
