"""The uplink: Bulkhead drives the machine's own virtio-net NIC and joins it
to switch br0. The test plays the network on the other end of the wire
(QEMU's socket netdev, 127.0.0.1 only: each frame a 4-byte big-endian length
and its bytes) and reads what arrived with the shell's nic-list."""

import os
import socket
import struct
import time

import pytest

from conftest import ROOT, TEST_GUEST, bulkhead, console_run

EXT = bytes.fromhex("020000000b01")       # the far side's MAC
VIF = bytes.fromhex("020000000a99")       # nobody's: the NIC must not filter


def frame(dst, src, size, seed):
    body = bytes((i * 7 + seed) & 0xff for i in range(size - 14))
    return dst + src + b"\x08\x00" + body


def idle_cfg(tmp_path, vmcfg):
    # a VM that stays up (the console waits for input) so the shell can be used
    return vmcfg("idle", extra="test=prompt")


def test_boot_line_names_the_nic_and_switch(tmp_path, vmcfg):
    with console_run("--timeout", "120", "--nic", "user", idle_cfg(tmp_path, vmcfg),
                     timeout=90) as p:
        p.expect(r"\(hv\) nic eth0: virtio-net, MAC 52:54:00:12:34:56, link up, "
                 r"uplink on switch 'br0'")


def test_frames_from_the_wire_reach_the_switch(tmp_path, vmcfg):
    """Frames sent to the machine's NIC are received by the driver and go into
    br0 through the uplink port: the right counts and bytes, the unicast one to
    a MAC that is not the NIC's included (promiscuous), the switch's own checks
    applied (an oversize frame and one from a multicast source dropped)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(90)
    port = listener.getsockname()[1]
    good = [frame(b"\xff" * 6, EXT, 60, 1), frame(b"\xff" * 6, EXT, 342, 2),
            frame(VIF, EXT, 1514, 3), frame(b"\x01\x00\x5e\x00\x00\x01", EXT, 100, 4)]
    bad = [frame(b"\xff" * 6, EXT, 1600, 5),                      # oversize
           frame(b"\xff" * 6, b"\x03\x00\x00\x00\x00\x01", 60, 6)]  # multicast source
    try:
        with console_run("--timeout", "180", "--nic", f"socket,connect={port}",
                         idle_cfg(tmp_path, vmcfg), timeout=120) as p:
            conn, _ = listener.accept()
            p.expect(r"\(hv\) nic eth0: virtio-net, MAC [0-9a-f:]{17}, link up, "
                     r"uplink on switch 'br0'")
            p.expect(r"\(idle\) prompt> ")
            for f in good + bad:
                conn.sendall(struct.pack(">I", len(f)) + f)
            want = len(good) + len(bad)
            nbytes = sum(len(f) for f in good + bad)
            # the frames cross QEMU and the driver's deferred work: ask until
            # they are all counted (bounded)
            for _ in range(30):
                p.send("nic-list\r")
                p.expect(r"\(hv\)   rx (\d+) packets (\d+) bytes, (\d+) errors")
                if int(p.match.group(1)) >= want:
                    break
                time.sleep(1)
            assert int(p.match.group(1)) == want, p.match.group(0)
            assert int(p.match.group(2)) == nbytes
            assert int(p.match.group(3)) == 0
            p.expect(r"\(hv\)   uplink on switch 'br0': into the switch (\d+) packets (\d+) bytes")
            assert int(p.match.group(1)) == len(good)
            assert int(p.match.group(2)) == sum(len(f) for f in good)
            p.expect(r"\(hv\)   drops: no-buffers 0 spoofed 1 runt 0 oversize 1 vlan 0 rate 0")
            conn.close()
    finally:
        listener.close()


def test_nic_spec_errors(tmp_path, vmcfg):
    cfg = vmcfg("v")
    for spec in ("socket,listen=10.0.0.1:5555", "socket,connect=0.0.0.0:5555",
                 "socket,listen=99999", "user,hostfwd=tcp:0.0.0.0:8080-:80", "tap", "user,net=1"):
        run = bulkhead("run", "--nic", spec, cfg, timeout=60)
        assert run.code == 2, (spec, run)
        assert "--nic" in run.err and "Traceback" not in run.err, run.err


def test_uplink_option_joins_the_nic_to_another_switch(tmp_path, vmcfg):
    """--uplink lan1 puts Bulkhead's boot option uplink=lan1 on its command
    line (beside loglevel=): the NIC joins switch lan1, and br0, where the
    VM's vif is, has no uplink port."""
    cfg = vmcfg("idle", text=f'name = "idle"\nmemory = 32\nkernel = "{TEST_GUEST}"\n'
                'extra = "test=prompt"\n'
                "vif = [ 'mac=02:00:00:00:0d:01, bridge=br0' ]\n")
    with console_run("--timeout", "120", "--nic", "user", "--uplink", "lan1",
                     "--loglevel", "info", cfg, timeout=90) as p:
        p.expect(r"\(hv\) nic eth0: virtio-net, MAC 52:54:00:12:34:56, link up, "
                 r"uplink on switch 'lan1'")
        p.expect(r"\(idle\) prompt> ")
        p.send("switch-list lan1\r")
        p.expect(r"\(hv\) switch lan1: 1 ports, ")
        p.expect(r"\(hv\)   port uplink +uplink vlan trunk ")
        p.send("switch-list br0\r")
        p.expect(r"\(hv\) switch br0: 1 ports, ")
        p.expect(r"\(hv\)   port idle\.0 +vif ")


def test_uplink_option_errors(tmp_path, vmcfg):
    """A name that is no switch name, or --uplink without a NIC to join: one
    line naming --uplink, exit 2, nothing booted."""
    cfg = vmcfg("v")
    for args in (("--nic", "user", "--uplink", "lan 1"), ("--nic", "user", "--uplink", ""),
                 ("--nic", "user", "--uplink", "a" * 16), ("--nic", "user", "--uplink", "br0;x"),
                 ("--uplink", "lan1")):
        run = bulkhead("run", "--timeout", "30", *args, cfg, timeout=60)
        assert run.code == 2, (args, run)
        assert len(run.err.strip().splitlines()) == 1, (args, run.err)
        assert "--uplink" in run.err and "Traceback" not in run.err, (args, run.err)
        assert run.out == "", (args, run.out)


VIF_DEVICE = os.path.join(ROOT, "devices", "virtio", "net.c")

# Busybox udhcpc only reports a lease: this script (udhcpc -s) applies it.
DHCP_SCRIPT = """#!/bin/sh
case "$1" in bound|renew)
    ip addr add $ip/$mask dev $interface
    [ -n "$router" ] && ip route add default via ${router%% *}
    echo "LEASE $ip router $router";;
esac
"""

# The VM: a lease (10 tries), the file (at most 60 s: busybox 1.35's own
# wget -T crashes), its md5, then off.
FETCH = """#!/bin/sh
cat > /tmp/dhcp.sh <<'EOF'
{dhcp}EOF
chmod +x /tmp/dhcp.sh
ip link set eth0 up
udhcpc -i eth0 -n -q -t 10 -T 1 -s /tmp/dhcp.sh
if timeout 60 wget -q -O /tmp/blob http://10.0.2.2:{port}/blob; then
    echo "GOT $(wc -c < /tmp/blob) $(md5sum < /tmp/blob | cut -d' ' -f1)"
fi
poweroff
"""


@pytest.mark.skipif(not os.path.exists(VIF_DEVICE),
                    reason="needs the VM's virtio-net device (devices/virtio/net.c) and the "
                    "vif config key, not merged yet")
def test_vm_fetches_a_file_through_the_uplink(tmp_path, initramfs):
    """A Debian VM on br0 gets a DHCP lease from QEMU's user-mode network
    through the uplink and downloads a file from an HTTP server the test runs
    on 127.0.0.1 (10.0.2.2 from inside), intact."""
    import hashlib
    import http.server
    import threading

    from conftest import linux_cfg, run_vms

    payload = os.urandom(4 * 1024 * 1024)
    (tmp_path / "www").mkdir()
    (tmp_path / "www" / "blob").write_bytes(payload)
    handler = lambda *a: http.server.SimpleHTTPRequestHandler(  # noqa: E731
        *a, directory=str(tmp_path / "www"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        script = FETCH.format(dhcp=DHCP_SCRIPT, port=server.server_address[1])
        cfg = linux_cfg(tmp_path, "web", initramfs(run=script),
                        "vif = [ 'mac=02:00:00:00:00:0a, bridge=br0' ]", vcpus=1, memory=192)
        run = run_vms(cfg, timeout=180, args=("--nic", "user"))
    finally:
        server.shutdown()
    lines = run.vm_lines("web")
    assert run.code == 0, run
    assert any(l.startswith("LEASE 10.0.2.15 router 10.0.2.2") for l in lines), run
    assert f"GOT {len(payload)} {hashlib.md5(payload).hexdigest()}" in lines, run


# Two machines, one VM each: ping the other VM (30 tries of 1 s), then stay
# up until the other has too. a (on the listening machine) waits for b to
# connect to its port 5002; b connects once its own ping answered, and only
# a that is done pinging listens, so neither goes while the other needs it.
PING_PEER = """#!/bin/sh
ip link set eth0 up
ip addr add {ip}/24 dev eth0
for i in $(seq 1 30); do
    if ping -c 1 -W 1 {peer} >/dev/null 2>&1; then echo "PING-OK"; break; fi
done
"""
WAIT_FOR_PEER = PING_PEER + """
timeout 60 nc -l -p 5002 < /dev/null > /dev/null && echo "PEER-DONE"
poweroff
"""
TELL_PEER = PING_PEER + """
for i in $(seq 1 30); do
    if nc -w 2 {peer} 5002 < /dev/null; then echo "TOLD"; break; fi
    sleep 1
done
poweroff
"""


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.mark.skipif(not os.path.exists(VIF_DEVICE),
                    reason="needs the VM's virtio-net device (devices/virtio/net.c)")
def test_vms_on_two_machines_ping_through_their_uplinks(tmp_path, initramfs):
    """Two Bulkhead machines (two QEMUs) whose NICs are one wire (QEMU's
    socket network on 127.0.0.1), a VM on br0 of each: each VM pings the
    other, the frames crossing both switches and both uplinks."""
    import subprocess

    from conftest import BULKHEAD, Run, linux_cfg

    port = free_port()
    procs, first = [], ""
    try:
        for name, ip, peer, script, nic in (
                ("a", "10.0.0.1", "10.0.0.2", WAIT_FOR_PEER, "listen"),
                ("b", "10.0.0.2", "10.0.0.1", TELL_PEER, "connect")):
            sub = tmp_path / name
            sub.mkdir()
            cfg = linux_cfg(sub, name, initramfs(run=script.format(ip=ip, peer=peer)),
                            f"vif = [ 'mac=02:00:00:00:0c:0{ip[-1]}, bridge=br0' ]",
                            vcpus=1, memory=128)
            procs.append(subprocess.Popen(
                [BULKHEAD, "run", "--timeout", "150", "--cpus", "2", "--mem", "512",
                 "--nic", f"socket,{nic}={port}", cfg],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                text=True))
            if nic == "listen":
                # QEMU listens before the machine starts: once Bulkhead speaks,
                # the other machine can connect (a probe would be taken as it)
                first = procs[0].stdout.readline()
                assert first.startswith("(hv) "), first
    finally:
        # each machine stops by itself (its VM powers off) or at its --timeout
        outs = [p.communicate(timeout=210) for p in procs]
    outs[0] = (first + outs[0][0], outs[0][1])
    a, b = [Run(subprocess.CompletedProcess(p.args, p.returncode, out, err))
            for p, (out, err) in zip(procs, outs)]
    assert a.code == 0 and b.code == 0, (a, b)
    assert "PING-OK" in a.vm_lines("a"), a
    assert "PING-OK" in b.vm_lines("b"), b
    assert "PEER-DONE" in a.vm_lines("a") and "TOLD" in b.vm_lines("b"), (a, b)
