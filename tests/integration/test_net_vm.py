"""Two Debian Linux VMs, one vif each on switch br0 (the guest's virtio-net
device, devices/virtio/net.c): they ping each other and move 16 MiB over
TCP with busybox nc, the md5 the same on both ends. Every loop in the
guests' scripts is bounded."""

import os

import pytest

from conftest import ROOT, linux_cfg, run_vms

if not os.path.exists(os.path.join(ROOT, "core", "config_vif.c")):
    pytest.skip("the vif config key (core/config_vif.c) is not in this tree yet",
                allow_module_level=True)

BYTES = 16 * 1024 * 1024
PORT = 5001

UP = """#!/bin/sh
ip link set eth0 up
ip addr add {ip}/24 dev eth0
echo "MAC $(cat /sys/class/net/eth0/address)"
ok=0
for i in $(seq 1 60); do
    if ping -c 1 -W 2 {peer} >/dev/null 2>&1; then ok=1; break; fi
done
[ $ok = 1 ] && echo "PING-OK"
"""

# a: listens, then says what it received.
RECEIVER = UP + f"""
nc -l -p {PORT} > /tmp/r &
nc_pid=$!
for i in $(seq 1 600); do kill -0 $nc_pid 2>/dev/null || break; sleep 1; done
kill $nc_pid 2>/dev/null
echo "RECV $(wc -c < /tmp/r) $(md5sum < /tmp/r | cut -d' ' -f1)"
sleep 5
poweroff
"""

# b: random data, sent once a's listener answers (a refused connect sends nothing).
SENDER = UP + f"""
head -c {BYTES} /dev/urandom > /tmp/s
echo "SENT {BYTES} $(md5sum < /tmp/s | cut -d' ' -f1)"
for i in $(seq 1 30); do
    if nc -w 15 10.0.0.1 {PORT} < /tmp/s; then echo "NC-DONE"; break; fi
    sleep 2
done
sleep 5
poweroff
"""


def net_cfg(tmp_path, name, initrd, mac):
    return linux_cfg(tmp_path, name, initrd, f"vif = [ 'mac={mac}, bridge=br0' ]", vcpus=1)


def test_two_vms_ping_and_move_16mib(tmp_path, initramfs):
    a = net_cfg(tmp_path, "a", initramfs(run=RECEIVER.format(ip="10.0.0.1", peer="10.0.0.2")),
                "02:00:00:00:00:01")
    b = net_cfg(tmp_path, "b", initramfs(run=SENDER.format(ip="10.0.0.2", peer="10.0.0.1")),
                "02:00:00:00:00:02")
    run = run_vms(a, b, timeout=900)
    la, lb = run.vm_lines("a"), run.vm_lines("b")
    assert run.code == 0, run
    assert "MAC 02:00:00:00:00:01" in la, run
    assert "MAC 02:00:00:00:00:02" in lb, run
    assert "PING-OK" in la and "PING-OK" in lb, run
    sent = [l.split()[1:] for l in lb if l.startswith("SENT ")]
    recv = [l.split()[1:] for l in la if l.startswith("RECV ")]
    assert sent and recv and sent == recv, run
    assert sent[0][0] == str(BYTES)
