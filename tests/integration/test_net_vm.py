"""Two Debian Linux VMs, one vif each on switch br0 (the guest's virtio-net
device, devices/virtio/net.c): each pings the other, then 16 MiB of random
data go from b to a over TCP with busybox nc, the length and md5 the same on
both ends. One vCPU and 192 MiB each (the guest kernel keeps 64 MiB for CMA,
and each end holds the 16 MiB in /tmp); every loop in the guests' scripts is
bounded and each VM powers off as soon as it is done."""

import os

import pytest

from conftest import ROOT, linux_cfg, run_vms

if not os.path.exists(os.path.join(ROOT, "core", "config_vif.c")):
    pytest.skip("the vif config key (core/config_vif.c) is not in this tree yet",
                allow_module_level=True)

BYTES = 16 * 1024 * 1024
PORT = 5001

# Pings the peer until it answers (it may still be booting): 30 tries of 1 s.
UP = """#!/bin/sh
ip link set eth0 up
ip addr add {ip}/24 dev eth0
echo "MAC $(cat /sys/class/net/eth0/address)"
echo "VFEATURES $(cat /sys/class/net/eth0/device/features)"
for i in $(seq 1 30); do
    if ping -c 1 -W 1 {peer} >/dev/null 2>&1; then echo "PING-OK"; break; fi
done
"""

# a: receives. Busybox nc half-closes the connection when its stdin ends, and
# the sender's nc quits as soon as it sees that: the listener's stdin is a
# FIFO held open (fd 3) until the transfer is over, so it sees no EOF.
RECEIVER = UP + f"""
mkfifo /tmp/hold
nc -l -p {PORT} < /tmp/hold > /tmp/r &
nc_pid=$!
exec 3> /tmp/hold
for i in $(seq 1 90); do kill -0 $nc_pid 2>/dev/null || break; sleep 1; done
kill $nc_pid 2>/dev/null
exec 3>&-
echo "RECV $(wc -c < /tmp/r) $(md5sum < /tmp/r | cut -d' ' -f1)"
poweroff
"""

# b: sends once a's listener answers (a refused connect sends nothing); nc
# ends when a closes, after it has read everything.
SENDER = UP + f"""
head -c {BYTES} /dev/urandom > /tmp/s
echo "SENT $(wc -c < /tmp/s) $(md5sum < /tmp/s | cut -d' ' -f1)"
for i in $(seq 1 20); do
    if nc -w 5 {{peer}} {PORT} < /tmp/s; then echo "NC-DONE"; break; fi
    sleep 1
done
echo "TXPACKETS $(cat /sys/class/net/eth0/statistics/tx_packets)"
poweroff
"""


def net_cfg(tmp_path, name, initrd, mac):
    return linux_cfg(tmp_path, name, initrd, f"vif = [ 'mac={mac}, bridge=br0' ]",
                     vcpus=1, memory=192)


def test_two_vms_ping_and_move_16mib(tmp_path, initramfs):
    a = net_cfg(tmp_path, "a", initramfs(run=RECEIVER.format(ip="10.0.0.1", peer="10.0.0.2")),
                "02:00:00:00:00:01")
    b = net_cfg(tmp_path, "b", initramfs(run=SENDER.format(ip="10.0.0.2", peer="10.0.0.1")),
                "02:00:00:00:00:02")
    run = run_vms(a, b, timeout=240)
    la, lb = run.vm_lines("a"), run.vm_lines("b")
    assert run.code == 0, run
    assert "MAC 02:00:00:00:00:01" in la, run
    assert "MAC 02:00:00:00:00:02" in lb, run
    assert "PING-OK" in la and "PING-OK" in lb, run
    assert "NC-DONE" in lb, run
    sent = [l.split()[1:] for l in lb if l.startswith("SENT ")]
    recv = [l.split()[1:] for l in la if l.startswith("RECV ")]
    assert sent and recv and sent == recv, run
    assert sent[0][0] == str(BYTES)
    # TSO both ways: the driver negotiated HOST_TSO4 (bit 11) and GUEST_TSO4
    # (bit 7), and sent fewer frames than 1448-byte segments would take
    for lines in (la, lb):
        feats = [l.split()[1] for l in lines if l.startswith("VFEATURES ")]
        assert feats and feats[0][7] == "1" and feats[0][11] == "1", run
    txp = [int(l.split()[1]) for l in lb if l.startswith("TXPACKETS ")]
    assert txp and txp[0] < BYTES // 1448, run
