"""Switch isolation and anti-spoofing, seen from inside Debian VMs (one boot).

Five VMs, one vCPU and 64 MiB each, IPv6 off so that they send only what
their scripts ask for:

    a 10.0.0.1  br0 untagged   the observer
    b 10.0.0.2  br0 untagged   pings a (the control), then forges its MAC
    c 10.0.0.3  br1            another switch
    d 10.0.0.4  br0 vlan=5     another VLAN; pings e (the VLAN's control)
    e 10.0.0.5  br0 vlan=5

The test drives the phases from the console: once every control ping has
answered, a notes its received-frame count; then b, c and d attack at once
(c and d ping and arping a and b and ping 10.0.0.255; b sets a forged MAC
and arpings and pings a); then `switch-list` is read, and a reports again.
Nothing else sends on a's VLAN in that window (a and b send no unicast
ARP probes, which could follow their control pings):
a must have received nothing at all, and its neighbour table must hold none
of the attackers' MACs (Linux notes the sender of an ARP request for its own
address). Each attacker says how many frames it sent (its tx_packets delta),
and the switches' counters show they entered their switch: c's on br1, d's
on br0 (where e, its VLAN's other port, received them), b's counted as
spoofed on its port."""

import os
import re
import time

import pexpect
import pytest

from conftest import ROOT, console_run, linux_cfg

if not os.path.exists(os.path.join(ROOT, "core", "config_vif.c")):
    pytest.skip("the vif config key (core/config_vif.c) is not in this tree yet",
                allow_module_level=True)

CTRL_A_3 = "\x01\x01\x01"
TRUE_MAC = "02:00:00:00:10:02"
FORGED_MAC = "02:00:00:00:66:66"
MACS = {"a": "02:00:00:00:10:01", "b": TRUE_MAC, "c": "02:00:00:00:10:03",
        "d": "02:00:00:00:10:04", "e": "02:00:00:00:10:05"}
ARPS = 5          # ARP requests each attacker sends to a with arping
SPOOF_ARPS = 10   # and b with its forged MAC
BCAST_PINGS = 20  # pings to 10.0.0.255 from c and d

# Every script starts so: no IPv6 (its router and neighbour solicitations
# would be traffic nobody asked for), eth0 up with the address.
SETUP = """#!/bin/sh
for c in all default eth0; do echo 1 > /proc/sys/net/ipv6/conf/$c/disable_ipv6; done
ip link set eth0 up
ip addr add {ip}/24 dev eth0
rx() {{ cat /sys/class/net/eth0/statistics/rx_packets; }}
tx() {{ cat /sys/class/net/eth0/statistics/tx_packets; }}
"""

# The peer may still be booting: 40 tries of about 1 s.
CONTROL_PING = """
for i in $(seq 1 40); do
    if ping -c 1 -W 1 {peer} >/dev/null 2>&1; then echo "PING-OK"; break; fi
done
"""

# a and b never check a neighbour they know with a unicast ARP probe (which
# would otherwise follow the control pings by some seconds and could fall in
# a's window). The test types "start", then "end" on a's console, around the
# attacks.
NO_PROBES = """
echo 0 > /proc/sys/net/ipv4/neigh/eth0/ucast_solicit
"""
OBSERVER = SETUP + NO_PROBES + CONTROL_PING + """
read -t 900 start
echo "RX-BEFORE $(rx)"
read -t 900 end
echo "RX-AFTER $(rx)"
ip neigh show dev eth0 | while read -r n; do echo "NEIGH $n"; done
poweroff
"""

# c and d: try to reach a and b, ask for a's MAC, flood broadcasts.
ATTACKER = SETUP + """
echo "ATTACKER-UP"
""" + "{control}" + f"""
read -t 900 go
t0=$(tx)
for ip in 10.0.0.1 10.0.0.2; do
    if ping -c 2 -w 6 $ip >/dev/null 2>&1; then echo "REACHED $ip"; else echo "NO-REPLY $ip"; fi
done
if arping -c {ARPS} -w {ARPS + 3} -I eth0 10.0.0.1 >/dev/null 2>&1; then
    echo "ARP-ANSWERED"; else echo "ARP-NO-ANSWER"; fi
ping -c {BCAST_PINGS} -i 0.2 -w 10 10.0.0.255 >/dev/null 2>&1
sleep 1
echo "SENT $(( $(tx) - t0 ))"
read -t 900 end
poweroff
"""

# b: after the control, every frame between the two tx readings carries the
# forged source: its ARP requests and its pings to a, nothing else.
SPOOFER = SETUP + NO_PROBES + CONTROL_PING + f"""
read -t 900 go
ip link set eth0 address {FORGED_MAC}
echo "NOW $(cat /sys/class/net/eth0/address)"
t0=$(tx)
if arping -c {SPOOF_ARPS} -w {SPOOF_ARPS + 3} -I eth0 10.0.0.1 >/dev/null 2>&1; then
    echo "SPOOF-ARP-ANSWERED"; else echo "SPOOF-ARP-NO-ANSWER"; fi
if ping -c 3 -w 8 10.0.0.1 >/dev/null 2>&1; then
    echo "SPOOF-PING-ANSWERED"; else echo "SPOOF-PING-NO-REPLY"; fi
sleep 1
t1=$(tx)
ip link set eth0 address {TRUE_MAC}
echo "SENT $(( t1 - t0 ))"
read -t 900 end
poweroff
"""

# e: answers d, then waits for the end.
QUIET = SETUP + CONTROL_PING + """
read -t 900 end
poweroff
"""


def to_shell(p):
    """Ctrl-A three times until input is back at the shell (at most once per VM)."""
    for _ in range(8):
        p.send(CTRL_A_3)
        p.expect(r"\(hv\) console: input goes to (.+?) \(Ctrl-A")
        if p.match.group(1) == "the Bulkhead shell":
            return
    raise AssertionError("input never came back to the shell")


def tell(p, vm, text, back=True):
    """Types one line on VM's console (its script reads it), back at the shell after."""
    p.send(f"console {vm}\r")
    p.expect(rf"\(hv\) console: input goes to {vm} \(Ctrl-A")
    p.send(text + "\r")
    if back:
        to_shell(p)


class Transcript:
    """Keeps all the console printed (and still writes the log): a line a VM
    prints while the test waits for another (Bulkhead's answer to Ctrl-A)
    stays there to be found."""

    def __init__(self, p):
        self.p, self.log, self.text = p, p.logfile_read, ""
        p.logfile_read = self

    def write(self, data):
        self.text += data
        self.log.write(data)

    def flush(self):
        self.log.flush()

    def wait(self, pattern, seconds=300):
        """The first match of pattern in all that was printed, waiting for it (bounded)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            m = re.search(pattern, self.text)
            if m:
                return m
            try:
                self.p.read_nonblocking(4096, timeout=1)
            except pexpect.TIMEOUT:
                pass
        raise AssertionError(f"never printed: {pattern}\n{self.text[-3000:]}")


def switch_ports(p, name):
    """switch-list NAME: {label: {vlan, mac, rx, tx, spoofed, ...}}."""
    p.send(f"switch-list {name}\r")
    ports = {}
    if p.expect([r"\(hv\) switch (\S+): (\d+) ports", r"no switch '"]) == 1:
        return ports
    assert p.match.group(1) == name, p.match.group(0)
    for _ in range(int(p.match.group(2))):
        p.expect(r"\(hv\)   port (\S+) +(\S+) +vlan (\S+) +mac (\S+) rate")
        label, vlan, mac = p.match.group(1), p.match.group(3), p.match.group(4)
        p.expect(r"\(hv\)     rx (\d+) packets \d+ bytes, tx (\d+) packets")
        rx, tx = int(p.match.group(1)), int(p.match.group(2))
        p.expect(r"\(hv\)     drops: no-buffers (\d+) spoofed (\d+) runt (\d+) oversize (\d+) "
                 r"vlan (\d+) rate (\d+)")
        drops = [int(g) for g in p.match.groups()]
        ports[label] = dict(vlan=vlan, mac=mac, rx=rx, tx=tx, spoofed=drops[1], drops=drops)
    return ports


def vm_lines(log, name):
    prefix = f"({name}) "
    lines = [l.rstrip("\r") for l in open(log, errors="replace").read().split("\n")]
    return [l[len(prefix):] for l in lines if l.startswith(prefix)]


def sent(lines):
    counts = [int(l.split()[1]) for l in lines if re.fullmatch(r"SENT \d+", l)]
    assert len(counts) == 1, lines
    return counts[0]


def test_switches_vlans_and_forged_macs_isolate(tmp_path, initramfs):
    specs = {
        "a": ("10.0.0.1", "br0", "", OBSERVER, "10.0.0.2"),
        "b": ("10.0.0.2", "br0", "", SPOOFER, "10.0.0.1"),
        "c": ("10.0.0.3", "br1", "", ATTACKER, None),
        "d": ("10.0.0.4", "br0", ", vlan=5", ATTACKER, "10.0.0.5"),
        "e": ("10.0.0.5", "br0", ", vlan=5", QUIET, "10.0.0.4"),
    }
    cfgs = []
    for name, (ip, bridge, vlan, script, peer) in specs.items():
        control = CONTROL_PING.format(peer=peer) if peer else ""
        text = script.replace("{control}", control).format(ip=ip, peer=peer)
        cfgs.append(linux_cfg(tmp_path, name, initramfs(run=text),
                              f"vif = [ 'mac={MACS[name]}, bridge={bridge}{vlan}' ]",
                              vcpus=1, memory=64))
    log = tmp_path / "console.log"
    with console_run("--timeout", "900", "--mem", "512", *cfgs, timeout=300, log=log) as p:
        seen = Transcript(p)
        # every VM's lines prefixed, whoever has the input: the test reads them all
        p.send("console-view shared\r")
        seen.wait(r"\(hv\) console: every VM's output by line")
        # the controls: a and b reach each other on br0, d and e on VLAN 5
        for line in ("a) PING-OK", "b) PING-OK", "c) ATTACKER-UP", "d) PING-OK", "e) PING-OK"):
            seen.wait(re.escape("(" + line))
        tell(p, "a", "start")
        rx_before = int(seen.wait(r"\(a\) RX-BEFORE (\d+)").group(1))
        for vm in ("b", "c", "d"):
            tell(p, vm, "go")
        for vm in ("b", "c", "d"):
            seen.wait(rf"\({vm}\) SENT \d+")
        br0, br1 = switch_ports(p, "br0"), switch_ports(p, "br1")
        tell(p, "a", "end")
        rx_after = int(seen.wait(r"\(a\) RX-AFTER (\d+)").group(1))
        for vm in ("b", "c", "d", "e"):
            tell(p, vm, "end", back=vm != "e")  # the machine goes with the last VM
        p.expect(r"\(hv\) no VM is running \(0 crashed\): powering off")
        p.expect(pexpect.EOF)
    out = {vm: vm_lines(log, vm) for vm in specs}
    everything = open(log, errors="replace").read()[-6000:]
    for vm in specs:  # every step of every script did what it says
        assert not [l for l in out[vm] if "/lib/bulkhead/run:" in l], (vm, out[vm])

    # b's forged frames: dropped (no answer, a saw nothing), counted on b's port
    assert f"NOW {FORGED_MAC}" in out["b"], everything
    assert "SPOOF-ARP-NO-ANSWER" in out["b"] and "SPOOF-PING-NO-REPLY" in out["b"], everything
    b_sent = sent(out["b"])
    assert b_sent >= SPOOF_ARPS, everything
    assert br0["b.0"]["spoofed"] >= b_sent, (br0, b_sent)
    for label in ("a.0", "d.0", "e.0"):
        assert br0[label]["spoofed"] == 0, br0

    # c (br1) and d (VLAN 5) reach neither a nor b, and get no ARP answer
    for vm in ("c", "d"):
        for ip in ("10.0.0.1", "10.0.0.2"):
            assert f"NO-REPLY {ip}" in out[vm], everything
        assert "ARP-NO-ANSWER" in out[vm], everything
    c_sent, d_sent = sent(out["c"]), sent(out["d"])
    assert c_sent >= ARPS + BCAST_PINGS and d_sent >= ARPS + BCAST_PINGS, everything
    # ... though their frames entered their switches: c's br1 alone, d's reached e
    assert list(br1) == ["c.0"] and br1["c.0"]["rx"] >= c_sent, br1
    assert br0["d.0"]["vlan"] == "5" and br0["e.0"]["vlan"] == "5", br0
    assert br0["d.0"]["rx"] >= d_sent and br0["e.0"]["tx"] >= d_sent, br0

    # a received nothing while they sent, and never learned any of them
    assert rx_after == rx_before, (rx_before, rx_after, everything)
    neigh = " ".join(l for l in out["a"] if l.startswith("NEIGH "))
    for mac in (FORGED_MAC, MACS["c"], MACS["d"], MACS["e"]):
        assert mac not in neigh, (mac, neigh)
    assert p.exitstatus == 0, everything
