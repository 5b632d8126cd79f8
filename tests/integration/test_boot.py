"""Boot: the banner, the map, every CPU online, the test guest's own checks."""

import re
import subprocess

import pytest

from conftest import ROOT, run_vms

GUEST_CHECKS = ["dtb", "entry-regs", "ram-zeroed", "mmu", "hvc-nop", "hvc-version", "psci-version",
                "psci-smc", "unknown-hvc", "unknown-smc", "pl011-id", "trap-regs", "trap-regs-mmio-table",
                "id-sanitized",
                "debug-os-lock", "debug-regs", "debug-breakpoint", "debug-watchpoint",
                "debug-step", "debug-brk", "set-way", "sysreg-undef", "pac-undef", "sme-undef"]
PROBES = ["probe-after-ram", "probe-before-ram", "probe-rtc", "probe-virtio", "probe-flash",
          "probe-high", "probe-store-after-ram"]


@pytest.fixture(scope="module")
def checks_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("boot")
    cfg = folder / "testvm.cfg"
    cfg.write_text(f'name = "testvm"\nmemory = 64\nkernel = "{ROOT}/build/guests/test/test.bin"\n'
                   'extra = "test=all"\n')
    return run_vms(str(cfg))


def test_exits_cleanly_after_the_guest_powers_off(checks_run):
    assert checks_run.code == 0, checks_run
    assert "no VM is running (0 crashed): powering off" in checks_run.hv_lines()


def test_banner_and_every_cpu_online(checks_run):
    hv = checks_run.hv_lines()
    assert any(line.startswith("Bulkhead ") and "at EL2 on 4 CPUs" in line for line in hv)
    for cpu in range(4):
        assert any(re.match(rf"cpu {cpu} online \(MPIDR 0x{cpu:x}\)", l) for l in hv), hv


def test_map_is_printed(checks_run):
    hv = "\n".join(checks_run.hv_lines())
    assert re.search(r"hypervisor 0x[0-9a-f]+-0x[0-9a-f]+: text .*\(RX\), rodata .*\(R\), "
                     r"data .*\(RW\)", hv)
    assert re.search(r"vm 1 'testvm' \(testvm.cfg\): 1 vCPU, RAM IPA 0x40000000-0x44000000 "
                     r"-> PA 0x[0-9a-f]+ \(64 MiB\)", hv)
    assert "entry 0x40080000" in hv
    # the board table, in address order: interrupt controller, UART, GPIO
    assert "devices: gicv3@0x8000000, pl011@0x9000000, pl061@0x9030000" in hv


@pytest.mark.parametrize("name", GUEST_CHECKS)
def test_guest_check_passes(checks_run, name):
    assert f"CHECK {name}: PASS" in checks_run.vm_lines("testvm"), checks_run


@pytest.mark.parametrize("name", PROBES)
def test_isolation_probe_gets_external_abort(checks_run, name):
    assert f"CHECK {name}: PASS" in checks_run.vm_lines("testvm"), checks_run


def test_tpidr2_is_private_to_each_vm(vmcfg):
    """SME's TPIDR2_EL0 is reachable from EL1 even with SME hidden: two VMs
    taking turns on one CPU each keep their own value in it."""
    cfgs = [vmcfg(name, extra=f"test=tpidr2 name={name}") for name in ("tpa", "tpb")]
    run = run_vms(*cfgs, args=("--cpus", "1"))
    assert run.code == 0, run
    for name in ("tpa", "tpb"):
        assert "CHECK tpidr2-private: PASS" in run.vm_lines(name), run


def test_system_registers_are_private_to_each_vm(vmcfg):
    """Every EL1/EL0 system register a guest can write (docs/security.md's
    list, DISR_EL1 among them): two VMs taking turns on one CPU write
    opposite patterns into all of them and each reads back only its own."""
    cfgs = [vmcfg(name, extra=f"test=regs name={name}") for name in ("rga", "rgb")]
    run = run_vms(*cfgs, args=("--cpus", "1"))
    assert run.code == 0, run
    for name in ("rga", "rgb"):
        assert "CHECK regs-private: PASS" in run.vm_lines(name), run


def test_debug_state_is_private_to_each_vm(vmcfg):
    """Three VMs take turns on one CPU: `set` has a hardware breakpoint on a
    function, `none` calls the same function with debug exceptions unmasked
    and never touches a debug register (the clean state), `own` has its
    breakpoint on another function. Each is stopped exactly where its own
    settings say, whoever ran before it."""
    roles = ("set", "none", "own")
    cfgs = [vmcfg(f"dbg{r}", extra=f"test=dbgshare dbg={r} name=dbg{r}") for r in roles]
    run = run_vms(*cfgs, args=("--cpus", "1"))
    assert run.code == 0, run
    for r in roles:
        assert "CHECK debug-private: PASS" in run.vm_lines(f"dbg{r}"), run


def test_guest_reports_no_failure(checks_run):
    guest = checks_run.vm_lines("testvm")
    result = [line for line in guest if line.startswith("RESULT ")]
    assert result and result[0].endswith(" 0 failed"), checks_run
    assert not [line for line in guest if "FAIL" in line]


def test_hypervisor_memory_is_outside_guest_ram(vmcfg):
    """With RAM at 2 GiB, the IPA where Bulkhead sits physically is unmapped."""
    cfg = vmcfg("high", memory=32, ram_base=0x80000000, extra="test=all")
    run = run_vms(cfg)
    assert run.code == 0, run
    assert "CHECK probe-low-hv: PASS" in run.vm_lines("high"), run


def test_refuses_to_run_at_el1():
    """Without virtualization=on QEMU enters at EL1; Bulkhead says why and stops."""
    proc = subprocess.run(["qemu-system-aarch64", "-M", "virt,gic-version=3", "-cpu", "max",
                           "-m", "512M", "-nic", "none", "-nographic", "-kernel", f"{ROOT}/build/bulkhead.bin"],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          stdin=subprocess.DEVNULL, text=True, timeout=60)
    assert "(hv) Bulkhead was entered at EL1, not EL2" in proc.stdout, proc.stdout
    assert "-M virt,virtualization=on" in proc.stdout


def test_smoke_boot_on_cortex_a53(vmcfg):
    cfg = vmcfg("a53", extra="test=all")
    run = run_vms(cfg, args=("--cpu", "cortex-a53", "--cpus", "2"))
    assert run.code == 0, run
    assert any(line.endswith(" 0 failed") for line in run.vm_lines("a53")), run


def test_loglevel_debug_reports_refused_guest_accesses(vmcfg):
    cfg = vmcfg("probe", extra="test=all")
    run = run_vms(cfg, args=("--loglevel", "debug"))
    assert run.code == 0, run
    assert any(re.match(r"vm 'probe': read of 4 bytes at IPA 0x9010000 \(PC 0x[0-9a-f]+\): "
                        r"external abort", line) for line in run.hv_lines()), run


def test_loglevel_warn_keeps_the_console_quiet(vmcfg):
    cfg = vmcfg("quiet", extra="test=hello name=quiet")
    run = run_vms(cfg, args=("--loglevel", "warn"))
    assert run.code == 0, run
    assert run.hv_lines() == ["no VM is running (0 crashed): powering off"], run
    assert "tick 4" in run.vm_lines("quiet")
