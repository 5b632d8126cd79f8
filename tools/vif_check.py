"""The configs' `vif` specs checked across VMs, for `bulkhead check`,
`image` and `run`, before anything is built or booted.

Each config's own vifs were checked by the hypervisor's parser
(bulkhead-config), which refuses two vifs of one VM with one MAC. Across
VMs, two vifs with the same explicit MAC on the same switch and VLAN would
be one station twice: the switch refuses the second port when its VM is
created (net/switch.c, SWITCH_ADD_MAC_IN_USE); this check says it earlier,
naming the later spec's file and line. The same MAC on another switch, or
on another VLAN of the same switch, is a different station and allowed.
"""


class VifError(Exception):
    """An error the user must fix, already worded in full."""


def vlan_words(vlan):
    return f"VLAN {vlan}" if vlan else "untagged"


def check_vifs(configs):
    """Raises VifError for the first vif whose explicit MAC an earlier VM's
    vif has on the same bridge and VLAN."""
    holders = {}                       # (mac, bridge, vlan) -> (cfg, vif)
    for cfg in configs:
        for vif in cfg.get("vifs", []):
            if not vif["mac"]:
                continue
            place = (vif["mac"], vif["bridge"], vif["vlan"])
            if place in holders:
                other_cfg, other = holders[place]
                raise VifError(
                    f"{cfg['path']}:{vif['line']}: vif: vm '{other_cfg['name']}' already has "
                    f"mac {vif['mac']} on bridge {vif['bridge']}, {vlan_words(vif['vlan'])} "
                    f"({other_cfg['path']}:{other['line']}); two vifs on one switch and VLAN "
                    "need different MACs")
            holders[place] = (cfg, vif)
