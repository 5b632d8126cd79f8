"""The configs' `disk` specs checked against the pool files given, for
`bulkhead check`, `image` and `run`, before anything is built or booted.

The pools are read with the hypervisor's own GPT reader (storage/gpt.c,
built for the host as bulkhead-gpt), and the attachment rule is the one
storage/volume.c applies when a VM is created: a volume attached read-write
is attached nowhere else (not by another VM, not twice by one VM), while
read-only attachments may be shared. Bulkhead checks it all again at
create time; this check only says it earlier, naming the config's line.
"""

import os
import subprocess

GPT_CHECK_EXIT_OK, GPT_CHECK_EXIT_REFUSED, GPT_CHECK_EXIT_NO_GPT = 0, 1, 3


class DiskError(Exception):
    """An error the user must fix, already worded in full."""


def pool_volumes(gpt_check, path):
    """The Bulkhead volumes' names on pool file `path`; none for a file with
    no GPT at all (Bulkhead passes over such a disk too). A pool Bulkhead
    would refuse is an error naming the file and why."""
    if not os.path.exists(path):
        raise DiskError(f"{path}: --disk: no such pool file")
    if os.path.isdir(path):
        raise DiskError(f"{path}: --disk: a folder, not a pool file")
    result = subprocess.run([gpt_check, path], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, errors="replace")
    if result.returncode == GPT_CHECK_EXIT_NO_GPT:
        return []
    if result.returncode == GPT_CHECK_EXIT_REFUSED:
        why = result.stderr.strip().split(": refused: ", 1)[-1]
        raise DiskError(f"{path}: --disk: Bulkhead would refuse this pool: {why}")
    if result.returncode != GPT_CHECK_EXIT_OK:
        raise DiskError(f"{path}: --disk: cannot be read as a pool: {result.stderr.strip()}")
    # "primary: ...", "backup: ...", then one "NAME FIRST_LBA SECTORS" a volume
    return [line.split()[0] for line in result.stdout.splitlines()[2:] if line.strip()]


def spec_place(cfg, disk, key_where):
    """FILE:LINE: disk for one spec: the spec's own line (as the hypervisor's
    create-time refusal names it), else the `disk` key's."""
    if disk.get("line"):
        return f"{cfg['path']}:{disk['line']}: disk"
    return key_where(cfg["path"], "disk")


def check_disks(configs, pools, gpt_check, key_where, need_pools):
    """Raises DiskError for the first spec naming a volume absent from the
    pools (only when `need_pools`, or some pool was given) or one taken by an
    earlier spec, and for a pool file Bulkhead would refuse."""
    found, shown = set(), []
    for path in pools:
        names = pool_volumes(gpt_check, path)
        found.update(names)
        shown.append(path if names else f"{path}: no volumes")
    check_existence = need_pools or bool(pools)
    holders = {}                       # volume -> [(cfg, disk)] attached so far
    for cfg in configs:
        for disk in cfg.get("disks", []):
            target, place = disk["target"], spec_place(cfg, disk, key_where)
            if check_existence and target not in found:
                given = ", ".join(shown) if pools else "none: give --disk POOL"
                raise DiskError(f"{place}: no volume '{target}' in the pools given ({given})")
            for other_cfg, other in holders.get(target, []):
                if disk["access"] == "rw" or other["access"] == "rw":
                    raise DiskError(conflict(place, target, other_cfg, other, key_where))
            holders.setdefault(target, []).append((cfg, disk))


def conflict(place, target, other_cfg, other, key_where):
    mode = "read-write" if other["access"] == "rw" else "read-only"
    other_place = spec_place(other_cfg, other, key_where).rsplit(": disk", 1)[0]
    return (f"{place}: volume '{target}' is already attached {mode} to vm "
            f"'{other_cfg['name']}' ({other_place}); a read-write volume is attached "
            "to one VM only, once")
