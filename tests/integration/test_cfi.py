"""Bulkhead's own control-flow protection (docs/security.md): each of the
shell's debug-fault attack kinds must be caught, and the panic dump must
name what caught it. On cortex-a53 (ARMv8.0: no PAuth, no BTI) the kinds
that need them are refused, and the rest still work."""

import re
import subprocess

import pexpect

from conftest import ROOT, TEST_GUEST, console_run

ELF = f"{ROOT}/build/bulkhead.elf"
EXIT_FAILED = 1  # what `bulkhead run` documents for a hypervisor panic
VA_MASK = (1 << 48) - 1
EC_IABT_CUR, EC_BTI = 0x21, 0x0d


def function_at(offset):
    out = subprocess.run(["aarch64-linux-gnu-addr2line", "-f", "-e", ELF, hex(offset)],
                         stdout=subprocess.PIPE, text=True, check=True).stdout
    return out.split("\n")[0]


def image_base(lines):
    return int(field(lines, r"^\(hv\) backtrace \(image base 0x([0-9a-f]+)\)").group(1), 16)


def field(lines, pattern):
    for line in lines:
        match = re.search(pattern, line)
        if match:
            return match
    raise AssertionError(f"no line matches {pattern!r}:\n" + "\n".join(lines))


def attack(tmp_path, kind, cpu="max,pauth-impdef=on", refused=()):
    """Boots one idle VM; types debug-fault for each refused kind (each must
    say it is not possible here), then KIND; returns (target address, the
    console's lines from KIND on, the run's exit code)."""
    cfg = tmp_path / "idle.cfg"
    cfg.write_text(f'name = "idle"\nmemory = 32\nkernel = "{TEST_GUEST}"\n'
                   'extra = "test=prompt"\n')
    log = tmp_path / "console.log"
    with console_run("--cpu", cpu, "--cpus", "2", "--timeout", "240", str(cfg),
                     timeout=180, log=log) as p:
        p.expect(r"\(idle\) prompt> ")
        for other in refused:
            p.send(f"debug-fault {other}\r")
            p.expect(rf"\(hv\) debug-fault {other}: not possible: this CPU has no ")
        p.send(f"debug-fault {kind}\r")
        p.expect(rf"\(hv\) debug-fault {kind}: [A-Za-z ]+ 0x([0-9a-f]+)\r")
        addr = int(p.match.group(1), 16)
        p.expect(pexpect.EOF)
    lines = [l.rstrip("\r") for l in log.read_text().split("\n")]
    start = next(i for i, l in enumerate(lines) if l.startswith(f"(hv) > debug-fault {kind}"))
    return addr, lines[start:], p.exitstatus


def esr_far(lines):
    m = field(lines, r"^\(hv\) ESR_EL2 0x([0-9a-f]{16}) FAR_EL2 0x([0-9a-f]{16})$")
    return int(m.group(1), 16), int(m.group(2), 16)


def test_stack_overflow_is_caught_by_the_guard_page(tmp_path):
    guard, lines, code = attack(tmp_path, "stack-overflow")
    text = "\n".join(lines)
    assert "(hv) PANIC: synchronous (stack overflow) exception in the hypervisor" in lines, text
    assert "(hv) caught by: stack guard page (the stack overflowed)" in lines, text
    esr, far = esr_far(lines)
    assert guard <= far < guard + 4096, text  # the store that ran into the guard page
    sp = int(field(lines, r"^\(hv\) ELR_EL2 .* SP 0x([0-9a-f]+)$").group(1), 16)
    assert guard <= sp < guard + 4096 + 1024, text
    # the dump ran on the emergency stack, with the overflowing frames behind it
    frames = re.findall(r"^\(hv\)   #\d+ 0x[0-9a-f]+ \(offset 0x([0-9a-f]+)\)$", text, re.M)
    assert frames and all(function_at(int(f, 16)) == "recurse" for f in frames), text
    assert code == EXIT_FAILED, text


def test_overwritten_return_address_fails_authentication(tmp_path):
    target, lines, code = attack(tmp_path, "return-addr")
    text = "\n".join(lines)
    assert "return addresses are not signed" not in text, text
    assert "(hv) caught by: pointer authentication failure (a signed return address did not " \
           "check)" in lines, text
    esr, far = esr_far(lines)
    assert esr >> 26 == EC_IABT_CUR, text
    # the RET went to the target with the failed check's error code on top
    assert far & VA_MASK == target and far != target, text
    assert code == EXIT_FAILED, text


def test_call_past_a_landing_pad_is_caught_by_bti(tmp_path):
    target, lines, code = attack(tmp_path, "no-pad")
    text = "\n".join(lines)
    assert "nothing caught it" not in text, text
    assert "(hv) caught by: BTI (an indirect branch to an instruction that is no landing pad)" \
        in lines, text
    esr, _ = esr_far(lines)
    assert esr >> 26 == EC_BTI, text
    elr = int(field(lines, r"^\(hv\) ELR_EL2 0x([0-9a-f]{16})").group(1), 16)
    assert elr == target, text
    assert code == EXIT_FAILED, text


def check_canary_caught(lines, code):
    text = "\n".join(lines)
    assert "nothing caught it" not in text, text
    m = field(lines, r"^\(hv\) PANIC: caught by: stack protector \(the canary of the function "
                     r"at 0x[0-9a-f]+, image offset 0x([0-9a-f]+), was overwritten\)$")
    assert function_at(int(m.group(1), 16)) == "canary_victim", text
    assert code == EXIT_FAILED, text


def test_smashed_canary_is_caught_by_the_stack_protector(tmp_path):
    _, lines, code = attack(tmp_path, "canary")
    check_canary_caught(lines, code)
    log = (tmp_path / "console.log").read_text()
    assert "(hv) control flow: return addresses signed (PAuth), BTI on, stack canary and stack " \
           "guard pages; key and canary seeded from RNDR rng-seed kaslr-seed and the counter" \
        in log, log


def test_cortex_a53_refuses_pac_and_bti_kinds_and_keeps_the_rest(tmp_path):
    """ARMv8.0: the PAC and BTI instructions are NOPs there and RNDR is not
    read; the guard page and the canary need no CPU feature."""
    _, lines, code = attack(tmp_path, "canary", cpu="cortex-a53",
                           refused=("return-addr", "no-pad"))
    check_canary_caught(lines, code)
    log = (tmp_path / "console.log").read_text()
    assert "return addresses unsigned (no PAuth), BTI off (no BTI)" in log, log
    assert "seeded from rng-seed kaslr-seed and the counter" in log, log

