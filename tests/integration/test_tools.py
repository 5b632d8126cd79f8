"""Host tooling: make debug's gdb session, bulkhead check."""

import re
import subprocess

from conftest import ROOT, bulkhead


def test_debug_stops_at_the_first_instruction_with_symbols():
    proc = subprocess.run([f"{ROOT}/tools/debug.sh", "--check"], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True,
                          timeout=120, cwd=ROOT)
    assert "=> 0x40200000 <_start_image>:" in proc.stdout, proc.stdout
    # the "MZ" instruction of the PE header (efi_header.S), then the branch
    assert "ccmp\tx18, #0x0, #0xd, pl" in proc.stdout, proc.stdout
    assert re.search(r"b\t0x402[0-9a-f]{5} <primary_entry>", proc.stdout), proc.stdout


def test_check_accepts_the_demo_configs():
    names = ("alpha", "beta", "gamma", "linux")
    run = bulkhead("check", *[f"{ROOT}/examples/demo/{n}.cfg" for n in names])
    assert run.code == 0, run
    assert run.out.count(": ok") == 4


def test_the_demo_runs(tmp_path):
    """What `make run` boots: Debian Linux beside three test guests, all ending cleanly."""
    run = bulkhead("run", "--timeout", "240",
                   *[f"{ROOT}/examples/demo/{n}.cfg" for n in ("alpha", "beta", "gamma", "linux")],
                   timeout=300)
    assert run.code == 0, run
    assert any(l.startswith("Debian Linux 6.") and "2 CPUs" in l for l in run.vm_lines("debian"))
    for name in ("alpha", "beta", "gamma"):
        assert "tick 4" in run.vm_lines(name), run
