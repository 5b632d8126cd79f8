"""The console multiplexer's output: per-VM rings drained fairly, whole lines,
partial lines (prompts) shown once their VM is idle."""

import re

import pexpect

from conftest import TEST_GUEST, console_run, run_vms

CTRL_A_3 = "\x01\x01\x01"
FLOOD_LINE = re.compile(r"flood (\d{6}) abcdefghijklmnopqrstuvwxyz0123456789ABCD$")
KNOWN_PREFIX = re.compile(r"\((hv|flood|quiet)\) ")
STEADY_LINE = re.compile(r"steady \d+ of 60$")
FLOOD_DONE = re.compile(r"flood done \d+$")


def rejoin(lines, pattern):
    """A VM stalled mid-line for longer than the idle time (the host can
    deschedule QEMU) has the start of that line flushed as a partial line,
    and the rest follows on its next line: split, never mixed. Joins such
    pieces (a line that is a proper prefix of the pattern's lines) with what
    follows; returns the lines and how many were split."""
    out, piece, splits = [], "", 0
    for line in lines:
        line = piece + line
        piece = ""
        whole = pattern.match(line) or FLOOD_DONE.match(line) or \
            line.startswith("bulkhead test guest")
        if not whole and len(line) < 53:
            piece, splits = line, splits + 1
            continue
        out.append(line)
    return out, splits


def test_flood_does_not_hold_up_a_quiet_vm(vmcfg):
    """One VM prints as fast as its UART takes bytes (waiting on TXFF) while
    another prints a numbered line every 20 ms: every quiet line comes out,
    whole and in order; the flood loses nothing; no line mixes owners."""
    flood = vmcfg("flood", extra="test=flood name=flood")
    quiet = vmcfg("quiet", extra="test=steady name=quiet")
    # one CPU each and no more: QEMU then has a host core per busy vCPU
    # thread, so it is rarely descheduled mid-line
    run = run_vms(flood, quiet, args=("--cpus", "2"), timeout=120)
    assert run.code == 0, str(run)[-3000:]

    console = [l for l in run.lines if l]
    bad = [l for l in console if not KNOWN_PREFIX.match(l) or
           KNOWN_PREFIX.search(l, 1)]
    assert not bad, bad[:10]

    steady, quiet_splits = rejoin(run.vm_lines("quiet"), STEADY_LINE)
    steady = [l for l in steady if l.startswith("steady")]
    assert steady == [f"steady {i} of 60" for i in range(60)], steady

    numbers, done = [], None
    flood_lines, flood_splits = rejoin(run.vm_lines("flood"), FLOOD_LINE)
    for line in flood_lines:
        if line.startswith("flood done "):
            done = int(line.split()[2])
        elif not line.startswith("bulkhead test guest"):
            m = FLOOD_LINE.match(line)
            assert m, f"flood line cut or mixed: {line!r}"
            numbers.append(int(m.group(1)))
    assert flood_splits + quiet_splits <= 3, "too many lines split"
    assert done is not None and done > 0, str(run)[-3000:]
    assert numbers == list(range(done)), "flood lines lost or out of order"

    # the two really ran at the same time: flood lines between the quiet ones
    quiet_at = [i for i, l in enumerate(console) if l.startswith("(quiet) steady")]
    first, last = quiet_at[0], quiet_at[-1]
    assert any(l.startswith("(flood) flood ") for l in console[first:last])

    for line in run.hv_lines():
        assert "(flood)" not in line and "(quiet)" not in line, line
    assert "vm 1 'flood' powered off (PSCI SYSTEM_OFF); on_poweroff=destroy" in run.hv_lines()
    assert "vm 2 'quiet' powered off (PSCI SYSTEM_OFF); on_poweroff=destroy" in run.hv_lines()


def test_prompt_without_newline_appears(tmp_path):
    """A prompt with no newline shows while the guest waits for a key."""
    cfg = tmp_path / "asker.cfg"
    cfg.write_text(f'name = "asker"\nmemory = 16\nkernel = "{TEST_GUEST}"\n'
                   'extra = "test=prompt name=asker"\n')
    with console_run("--timeout", "90", str(cfg), timeout=40, log=tmp_path / "console.log") as p:
        p.expect(r"\(asker\) prompt> ")   # before any key was pressed
        p.send(CTRL_A_3)
        p.expect(r"\(hv\) console: input goes to asker")
        p.send("k")
        p.expect(r"got key 107")  # shown as it prints: it has the input
        p.expect(r"\(hv\) no VM is running \(0 crashed\): powering off")
        p.expect(pexpect.EOF)
    assert p.exitstatus == 0, open(tmp_path / "console.log").read()[-3000:]
