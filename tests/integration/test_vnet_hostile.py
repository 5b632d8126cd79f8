"""A hostile virtio-net driver beside a working Linux VM: the test guest's
`vnet-hostile` mode (guests/test/vnet_hostile.c, vnet_frames.c) sends
malformed TX and RX chains and frames the switch must refuse (runts, jumbo
frames, tags from an access port, stacked tags, forged sources, bad offload
fields) on its vif 0, round after round, with its vif 1 as a well-behaved
peer on the same switch and VLAN. A Debian VM on that VLAN pings the hostile
guest's address all along; at the end the hostile guest answers ARP and
pings properly. Every case must get an answer virtio allows, the device must
work after each reset, the switch's and the device's drop counters must
match the cases sent, and nothing else may suffer."""

import os
import re

import pytest

from conftest import KERNEL, ROOT, TEST_GUEST, console_run

if not os.path.exists(os.path.join(ROOT, "devices", "virtio", "net.c")):
    pytest.skip("the guest's virtio-net device is not in this tree yet", allow_module_level=True)

HV_ADDR = 0x40200000               # where QEMU's virt loads Bulkhead (checked below)
HOSTILE_RAM_BASE = 0x80000000      # so that HV_ADDR lies outside the hostile VM's RAM
A_MAC, B_MAC, LINUX_MAC = "02:00:00:00:00:a1", "02:00:00:00:00:a2", "02:00:00:00:00:01"
ROUNDS_MS = 60000

# Pings the hostile guest's address once a second (each try also sends ARP
# broadcasts that reach the hostile vifs, whatever state their queues are in).
LINUX = f"""#!/bin/sh
ip link set eth0 up
ip addr add 10.0.0.1/24 dev eth0
echo "NET-UP $(cat /sys/class/net/eth0/address)"
for i in $(seq 1 300); do
    if ping -c 1 -W 1 10.0.0.9 >/dev/null 2>&1; then echo "PING-OK $i"; break; fi
done
grep '^10.0.0.9 ' /proc/net/arp | sed 's/^/ARP /'
echo "LINUX-DONE"
poweroff
"""

# Each case's answer, and the counter its frame lands in (this device and
# switch; the guest checks its own list of what virtio allows).
NEEDS_RESET = [
    "loop", "self-loop", "chain-past-queue-size", "too-many-segments", "head-out-of-range",
    "head-0xffff", "next-out-of-range", "avail-idx-runaway", "avail-idx-backwards",
    "buf-past-ram", "buf-straddles-ram-end", "buf-below-ram", "buf-hypervisor", "buf-flash",
    "buf-gic", "buf-own-virtio-window", "buf-wraps", "huge-len", "header-past-ram",
    "indirect-past-ram", "indirect-in-gic", "indirect-bad-len", "indirect-zero-len",
    "indirect-huge-len", "indirect-with-next", "indirect-nested", "indirect-loop",
    "indirect-next-outside", "indirect-too-long", "indirect-not-negotiated",
    "rx-loop", "rx-head-out-of-range", "rx-avail-idx-runaway", "rx-buf-past-ram",
    "rx-buf-hypervisor", "rx-buf-gic", "rx-huge-len", "rx-indirect-nested", "rx-indirect-bad-len",
]
DROPS = {
    "runt": ["runt-0", "runt-13", "runt-tagged-16"],
    "oversize": ["jumbo-1515", "jumbo-9018", "jumbo-64k"],
    "vlan": ["tagged-from-access-port", "priority-tag", "qinq-88a8-8100", "double-8100",
             "tag-9100", "vid-4095"],
    "spoofed": ["forged-src", "multicast-src", "src-of-other-vif"],
    "tx-errors": ["writable-tx-frame", "writable-tx-only", "tx-header-short", "gso-tcpv4",
                  "gso-ecn", "unknown-hdr-flags", "csum-start-past-end", "csum-offset-past-end",
                  "csum-wraps", "csum-in-mac-header"],
}
EXPECTED = {name: "needs-reset" for name in NEEDS_RESET}
EXPECTED.update({name: "used" if name == "jumbo-64k" else "dropped"
                 for names in DROPS.values() for name in names})
EXPECTED.update({name: "delivered" for name in (
    "good-frame", "header-split", "good-indirect", "short-42", "max-1514", "csum-partial-ok",
    "data-valid", "rx-readable-first", "rx-header-split")})
EXPECTED.update({"rx-readonly": "used-len0", "rx-shorter-than-header": "used-len0",
                 "rx-too-small-no-mrg": "used-len0", "reset-after-notify": "reset-clean"})


def port_counters(text, label):
    m = re.search(r"port " + re.escape(label) + r" .*\n+.*rx (\d+) packets \d+ bytes, tx (\d+) packets"
                  r".*\n+.*drops: no-buffers (\d+) spoofed (\d+) runt (\d+) oversize (\d+) vlan (\d+)"
                  r" rate (\d+)", text)
    assert m, text[-3000:]
    keys = ("rx", "tx", "no-buffers", "spoofed", "runt", "oversize", "vlan", "rate")
    return dict(zip(keys, (int(g) for g in m.groups())))


def test_hostile_vnet_driver_beside_a_linux_vm(tmp_path, initramfs):
    linux = tmp_path / "linux.cfg"
    linux.write_text(f'name = "linux"\nvcpus = 1\nmemory = 192\nkernel = "{KERNEL}"\n'
                     f'ramdisk = "{initramfs(run=LINUX)}"\nextra = "console=ttyAMA0 quiet"\n'
                     f"vif = [ 'mac={LINUX_MAC}, bridge=br0, vlan=5' ]\n")
    hostile = tmp_path / "hostile.cfg"
    hostile.write_text(f'name = "hostile"\nmemory = 32\nkernel = "{TEST_GUEST}"\n'
                       f"ram_base = {HOSTILE_RAM_BASE:#x}\n"
                       f'extra = "test=vnet-hostile hv={HV_ADDR:#x} ms={ROUNDS_MS}"\n'
                       f"vif = [ 'mac={A_MAC}, bridge=br0, vlan=5', 'mac={B_MAC}, bridge=br0, vlan=5' ]\n")
    log = tmp_path / "console.log"
    with console_run("--cpus", "2", "--timeout", "600", str(linux), str(hostile),
                     timeout=500, log=log) as p:
        p.expect(r"\(hv\) hypervisor 0x([0-9a-f]+)-0x([0-9a-f]+):")  # whole: the colon follows
        hv = tuple(int(g, 16) for g in p.match.groups())
        done = [r"\(hostile\) VN DONE pass=(\d+) fail=(\d+) rounds=(\d+) forwarded=(\d+)\s",
                r"\(linux\) LINUX-DONE"]
        for _ in range(2):             # in either order
            if p.expect(done) == 0:
                passed, failed, rounds, forwarded = (int(g) for g in p.match.groups())
        # the hostile VM waits for a key: its ports are still on the switch
        p.send("switch-list br0\r")
        p.expect(r"mac 02:00:00:00:00:a1 vlan 5 port hostile.0 static")
        p.send("network-list hostile\r")
        p.expect(r"\(hv\) 1 +02:00:00:00:00:a2 .*\n")
        p.send("console hostile\r")
        p.expect(r"input goes to hostile")
        p.send("k")
        p.expect(r"\(hv\) no VM is running \((\d+) crashed\): powering off")
        crashed = int(p.match.group(1))
    text = log.read_text(errors="replace")
    lines = [l.rstrip("\r") for l in text.splitlines()]
    assert "(hv) PANIC" not in text
    assert crashed == 0, text[-3000:]

    # every case got an allowed answer in every round, and the one expected
    assert failed == 0, [l for l in lines if "FAIL" in l]
    cases = {}
    for line in lines:
        m = re.match(r"\(hostile\) VN ([a-z0-9-]+): (\S+)", line)
        if m and m.group(1) not in ("round", "DONE", "a"):
            cases.setdefault(m.group(1), m.group(2))
    assert cases.pop("peer-exchange") == "delivered"
    assert cases == EXPECTED, set(cases.items()) ^ set(EXPECTED.items())
    assert rounds >= 1 and passed == rounds * len(EXPECTED) + 1, (passed, rounds)
    assert hv[0] <= HV_ADDR < hv[1], hv

    # the Linux VM's network worked while the rounds ran, and reached the guest at the end
    up = next(i for i, l in enumerate(lines) if l.startswith("(linux) NET-UP"))
    assert any(l.startswith("(hostile) VN round ") for l in lines[up:]), "no round after NET-UP"
    assert any(l.startswith("(linux) PING-OK") for l in lines), lines[-40:]
    assert any(l.startswith("(linux) ARP 10.0.0.9 ") and A_MAC in l for l in lines)
    assert f"(hostile) VN arp-reply from {LINUX_MAC}" in lines

    # the switch counted each refused frame once per round, by reason
    a = port_counters(text, "hostile.0")
    for reason in ("runt", "oversize", "vlan", "spoofed"):
        assert a[reason] == rounds * len(DROPS[reason]), (reason, a, rounds)
    assert a["rate"] == 0
    # each round's reset-after-notify frame may or may not have left
    assert forwarded <= a["rx"] <= forwarded + rounds, (a, forwarded)
    # the device counted the bad headers: network-list's TX drops are the
    # switch's (no-buffers aside) plus the device's errors
    m = re.search(r"\(hv\) 0 +02:00:00:00:00:a1 br0 +\S+ +(\d+) +(\d+) +(\d+) +(\d+)", text)
    assert m, text[-3000:]
    assert int(m.group(3)) == a["rx"]
    switch_drops = a["runt"] + a["oversize"] + a["vlan"] + a["spoofed"]
    assert int(m.group(4)) - switch_drops == rounds * len(DROPS["tx-errors"]), m.group(0)
    b = port_counters(text, "hostile.1")
    assert b["spoofed"] + b["runt"] + b["oversize"] + b["vlan"] == 0, b
    linux_port = port_counters(text, "linux.0")
    assert linux_port["spoofed"] + linux_port["runt"] + linux_port["vlan"] == 0, linux_port
