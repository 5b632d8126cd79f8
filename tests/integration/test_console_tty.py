"""The console as an operator uses it, through a pty (`bulkhead run` with its
standard input a terminal): the VM that has the input is shown byte for
byte (a full-screen program works), a 4 KiB paste reaches a Linux guest
whole, Ctrl-] returns to the shell, Ctrl-A three times cycles over running
VMs only."""

import hashlib
import re
import threading

from conftest import KERNEL, TEST_GUEST, console_run, linux_cfg

CTRL_A_3 = "\x01\x01\x01"
CTRL_RBRACKET = "\x1d"
PROMPT = r"[/~] # "
# lines end "\r\r\n": the guest's "\r\n", and the pty's own '\r' before '\n'


def test_full_screen_paste_and_console_keys(tmp_path, initramfs, vmcfg):
    deb = linux_cfg(tmp_path, "deb", initramfs(), "", vcpus=1, memory=192)
    # waits for a key (60 s at most, then powers off): running while the cycle is tested
    asker = vmcfg("asker", memory=16, extra="test=prompt name=asker")
    gone = vmcfg("gone", memory=16, extra="test=hello name=gone", on_poweroff="preserve")
    log = tmp_path / "console.log"
    with console_run("--timeout", "900", deb, asker, gone, timeout=180, log=log) as p:
        p.expect(r"\(hv\) vm 3 'gone' powered off .*on_poweroff=preserve")
        p.expect(r"\(deb\) " + PROMPT)

        # Ctrl-A cycles over the running VMs (deb, asker), never the stopped one
        seen = []
        for _ in range(3):
            p.send(CTRL_A_3)
            p.expect(r"console: input goes to (deb|asker|the Bulkhead shell)")
            seen.append(p.match.group(1))
        assert seen == ["deb", "asker", "the Bulkhead shell"], seen
        p.send("console gone\r")
        p.expect(r"console: vm 3 'gone' is stopped; input stays with the shell")

        p.send(CTRL_A_3)
        p.expect(r"console: input goes to deb")
        p.send("\r")
        p.expect(PROMPT)

        # a full-screen program: its escape sequences arrive as it wrote them
        p.send("busybox vi /tmp/v.txt\r")
        p.expect(r"\x1b\[\?1049h")       # vi takes the alternate screen
        p.expect(r"\x1b\[H\x1b\[J")       # clears it
        p.expect(r"\x1b\[24;1H\x1b\[K")   # and writes its status line
        p.send("iedited-by-vi\x1b")
        p.expect(r"\[Modified\]")       # vi draws as keys come: not one string
        p.send(":wq\r")
        p.expect(r"\x1b\[\?1049l")       # and gives the screen back
        p.expect(PROMPT)
        p.send("echo top; busybox top -n 1 | head -c 300; echo; cat /tmp/v.txt\r")
        p.expect(r"\x1b\[H")   # top homes the cursor: the raw byte, not '?'
        p.expect(r"\nedited-by-vi\r+\n")
        p.expect(PROMPT)

        # a 4 KiB paste arrives whole
        text = "".join(f"{i:04d} " + "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUV\n"
                       for i in range(64))
        assert len(text) == 4096
        p.send("cat > /tmp/paste.txt\r")
        p.expect(r"cat > /tmp/paste.txt\r+\n")
        # written in one go, as a terminal pastes, while this thread reads
        # what the guest echoes (as a terminal would: a writer that never
        # reads would stall the console's output, and so QEMU)
        paster = threading.Thread(target=lambda: p.send(text + "\x04"))
        paster.start()
        p.expect(PROMPT)
        paster.join(timeout=60)
        assert not paster.is_alive()
        p.send("wc -c < /tmp/paste.txt; md5sum /tmp/paste.txt\r")
        p.expect(r"\n(\d+)\r+\n([0-9a-f]{32})  /tmp/paste.txt")
        assert int(p.match.group(1)) == 4096
        assert p.match.group(2) == hashlib.md5(text.encode()).hexdigest()

        # Ctrl-] returns to the shell at once
        p.send(CTRL_RBRACKET)
        p.expect(r"console: input goes to the Bulkhead shell")
        p.send("list\r")
        p.expect(r"\(hv\) 3 +gone +stopped")
        for vm in ("deb", "gone"):
            p.send(f"destroy {vm}\r")
        p.expect(r"\(hv\) no VM is running")
    text = open(log, errors="replace").read()
    assert "?[" not in text.split("input goes to deb")[-1].split("the Bulkhead shell")[0]
