"""The panic path and W^X at run time: the shell's debug-fault crashes the
hypervisor on purpose; the dump must say what happened and where, and
`bulkhead run` must fail."""

import re
import subprocess

import pexpect
import pytest

from conftest import ROOT, TEST_GUEST, console_run

ELF = f"{ROOT}/build/bulkhead.elf"
EXIT_FAILED = 1  # what `bulkhead run` documents for a hypervisor panic

EC_IABT_CUR, EC_DABT_CUR = 0x21, 0x25
TRANSLATION, PERMISSION = 1, 3  # ESR FSC bits [5:2]
WNR = 1 << 6

# kind: (EC, its name, FSC group, its name, write?)
FAULTS = {
    "unmapped": (EC_DABT_CUR, "data abort", TRANSLATION, "translation fault", False),
    "write-text": (EC_DABT_CUR, "data abort", PERMISSION, "permission fault", True),
    "exec-data": (EC_IABT_CUR, "instruction abort", PERMISSION, "permission fault", None),
}


def source_of(offset):
    """(function, file) of an image offset, from the ELF's debug info."""
    out = subprocess.run(["aarch64-linux-gnu-addr2line", "-f", "-e", ELF, hex(offset)],
                         stdout=subprocess.PIPE, text=True, check=True).stdout.split("\n")
    return out[0], out[1].rsplit(":", 1)[0]


def crash(tmp_path, kind):
    """Boots one idle VM, types debug-fault KIND; returns (target address,
    the console's lines from there on, the run's exit code)."""
    cfg = tmp_path / "idle.cfg"
    cfg.write_text(f'name = "idle"\nmemory = 32\nkernel = "{TEST_GUEST}"\n'
                   'extra = "test=prompt"\n')
    log = tmp_path / "console.log"
    with console_run("--cpus", "2", "--timeout", "240", str(cfg), timeout=180, log=log) as p:
        p.expect(r"\(idle\) prompt> ")
        p.send("debug-fault\r")
        p.expect(r"\(hv\) debug-fault: usage: debug-fault unmapped\|write-text\|exec-data")
        p.send(f"debug-fault {kind}\r")
        p.expect(rf"\(hv\) debug-fault {kind}: [A-Za-z ]+ at 0x([0-9a-f]+)\r")
        addr = int(p.match.group(1), 16)
        p.expect(pexpect.EOF)
    lines = [l.rstrip("\r") for l in log.read_text().split("\n")]
    start = next(i for i, l in enumerate(lines) if l.startswith(f"(hv) > debug-fault {kind}"))
    return addr, lines[start:], p.exitstatus


def field(lines, pattern):
    for line in lines:
        match = re.search(pattern, line)
        if match:
            return match
    raise AssertionError(f"no line matches {pattern!r}:\n" + "\n".join(lines))


@pytest.mark.parametrize("kind", FAULTS)
def test_debug_fault_dumps_and_fails_the_run(tmp_path, kind):
    ec, ec_name, group, group_name, write = FAULTS[kind]
    addr, lines, code = crash(tmp_path, kind)
    text = "\n".join(lines)

    assert "(hv) PANIC: synchronous exception in the hypervisor" in lines, text
    esr_far = field(lines, r"^\(hv\) ESR_EL2 0x([0-9a-f]{16}) FAR_EL2 0x([0-9a-f]{16})$")
    esr, far = int(esr_far.group(1), 16), int(esr_far.group(2), 16)
    assert far == addr, text
    assert esr >> 26 == ec, text
    assert (esr & 0x3f) >> 2 == group, text
    if write is not None:
        assert bool(esr & WNR) == write, text
    decoded = field(lines, r"^\(hv\) EC 0x([0-9a-f]+): ([a-z ]+), FSC 0x[0-9a-f]+: ([a-z ]+) at")
    assert decoded.groups() == (f"{ec:x}", ec_name, group_name), text

    elr = field(lines, r"^\(hv\) ELR_EL2 0x([0-9a-f]{16}) \(offset 0x([0-9a-f]+)\)")
    if kind == "exec-data":
        assert int(elr.group(1), 16) == addr, text  # the fetch itself faulted
    else:
        assert source_of(int(elr.group(2), 16))[1].endswith("arch/arm64/debug_fault.c"), text

    registers = set()
    for line in lines:
        registers.update(int(n) for n in re.findall(r"\bx(\d+) +[0-9a-f]{16}\b", line))
    assert registers == set(range(31)), text

    frames = [int(m, 16) for m in re.findall(r"^\(hv\)   #\d+ 0x[0-9a-f]+ \(offset 0x([0-9a-f]+)\)$",
                                             text, re.M)]
    assert frames, text
    # the shell's command loop called the fault: the frame records are real
    assert any(source_of(f)[1].endswith("core/shell.c") for f in frames), text

    assert code == EXIT_FAILED, text
