"""The management shell and the console multiplexer, driven through a terminal."""

import time

import pexpect

from conftest import BULKHEAD, KERNEL, TEST_GUEST, console_run, run_vms

CTRL_A_3 = "\x01\x01\x01"


def write_cfgs(tmp_path, initramfs):
    linux = tmp_path / "deb.cfg"
    linux.write_text(f'name = "deb"\nvcpus = 2\nmemory = 256\nkernel = "{KERNEL}"\n'
                     f'ramdisk = "{initramfs}"\nextra = "console=ttyAMA0 quiet"\n')
    resetter = tmp_path / "resetter.cfg"
    resetter.write_text(f'name = "resetter"\nmemory = 16\nkernel = "{TEST_GUEST}"\n'
                        'extra = "test=reset"\non_reboot = "restart"\n')
    return str(linux), str(resetter)


def test_stats_count_set_way_traps(tmp_path):
    """Set/way maintenance traps (HCR_EL2.TSW): the guest's 2000 operations
    show in the SYSREG column; run natively, they would not be there."""
    cfg = tmp_path / "swvm.cfg"
    cfg.write_text(f'name = "swvm"\nmemory = 32\nkernel = "{TEST_GUEST}"\n'
                   'extra = "test=setway"\n')
    with console_run("--timeout", "120", str(cfg), timeout=60) as p:
        p.expect(r"\(swvm\) setway test: 2000 operations done")
        p.send("stats swvm\r")
        p.expect(r"\(hv\) NAME +HYPERCALL +MMIO +ABORT +SYSREG ")
        p.expect(r"\(hv\) swvm +\d+ +\d+ +\d+ +(\d+) ")
        assert int(p.match.group(1)) >= 2000, p.match.group(0)
        p.send("destroy swvm\r")
        p.expect(r"\(hv\) no VM is running")


def test_shell_session(tmp_path, initramfs):
    linux, resetter = write_cfgs(tmp_path, initramfs())
    with console_run("--timeout", "240", linux, resetter, timeout=120,
                     log=tmp_path / "console.log") as p:
        p.expect(r"\(deb\) Enter 'help' for a list of built-in commands")
        time.sleep(1)
        p.send("list\r")
        p.expect(r"\(hv\) > list")
        p.expect(r"\(hv\) ID +NAME +STATE +VCPUS +MEM\(MiB\) +CPU\(ms\)")
        p.expect(r"\(hv\) 1 +deb +(running|blocked) +2 +256 +\d+")
        p.expect(r"\(hv\) 2 +resetter +(running|blocked) +1 +16 +\d+")

        p.send("pause resetter\r")
        p.expect(r"\(hv\) vm 2 'resetter' paused")
        p.send("list\r")
        p.expect(r"\(hv\) 2 +resetter +paused")
        p.send("info deb\r")
        p.expect(r"\(hv\)   memory 256 MiB: IPA 0x40000000-0x50000000 -> PA 0x[0-9a-f]+")
        p.send("vcpu-list\r")
        p.expect(r"\(hv\) deb +1 +\d +\w+ +\d+ +\d+")
        p.send("stats deb\r")
        p.expect(r"\(hv\) NAME +HYPERCALL +MMIO +ABORT +SYSREG +WFI/WFE +IRQ +OTHER +IRQS-IN")
        # Linux made hypercalls (PSCI), touched its UART and GIC, slept and took interrupts
        p.expect(r"\(hv\) deb +[1-9]\d* +[1-9]\d* +\d+ +[1-9]\d* +[1-9]\d* +[1-9]\d* +\d+ "
                 r"+[1-9]\d* +\d+")

        # Ctrl-A three times: input goes to the next VM, the Linux shell
        p.send(CTRL_A_3)
        p.expect(r"\(hv\) console: input goes to deb")
        p.send("echo typed-into-$((6*7))\r")
        p.expect(r"\ntyped-into-42\r+\n")  # as deb prints it: it has the input
        # busybox's prompt has no newline: it shows because Linux then waits
        p.expect(r"[/~] # ")
        p.send(CTRL_A_3)
        p.expect(r"input goes to resetter")
        p.send(CTRL_A_3)
        p.expect(r"input goes to the Bulkhead shell")

        p.send("unpause resetter\r")
        p.expect(r"\(hv\) vm 2 'resetter' unpaused")
        p.expect(r"\(resetter\) reset test: boot")
        p.send("destroy resetter\r")
        p.expect(r"\(hv\) vm 2 'resetter' destroyed")
        p.send("list\r")
        p.expect(r"\(hv\) 1 +deb +(running|blocked)")

        p.send("frobnicate\r")
        p.expect(r"\(hv\) unknown command 'frobnicate' \(see help\)")
        p.send("pause nosuchvm\r")
        p.expect(r"\(hv\) pause: no VM 'nosuchvm' \(see list\)")
        p.send("destroy\r")
        p.expect(r"\(hv\) destroy: which VM\? \(usage: destroy VM\)")

        p.send("console deb\r")
        p.expect(r"input goes to deb")
        p.send("poweroff\r")
        p.expect(r"\(hv\) no VM is running \(0 crashed\): powering off")
        p.expect(pexpect.EOF)
    assert p.exitstatus == 0, open(tmp_path / "console.log").read()[-3000:]


def test_autostart_off_and_create(tmp_path):
    """A VM with autostart = 0 waits in the boot image until `create NAME`."""
    cfg = tmp_path / "lazy.cfg"
    cfg.write_text(f'name = "lazy"\nmemory = 16\nkernel = "{TEST_GUEST}"\n'
                   'extra = "test=hello name=lazy"\nautostart = 0\n')
    with console_run("--timeout", "60", str(cfg), timeout=40) as p:
        p.expect(r"\(hv\) vm 'lazy' \(lazy.cfg\): autostart = 0: start it with `create lazy`")
        p.expect(r"\(hv\) no VM is running yet")
        p.send("create nosuch\r")
        p.expect(r"\(hv\) create nosuch: no VM of that name in the boot image")
        p.send("create lazy\r")
        p.expect(r"\(lazy\) hello from lazy")
        p.expect(r"\(lazy\) tick 4")
        p.expect(r"\(hv\) no VM is running \(0 crashed\): powering off")
        p.expect(pexpect.EOF)
    assert p.exitstatus == 0


def test_switch_list_without_switches(tmp_path):
    """switch-list is wired into the shell: a machine whose VMs have no vif
    and which has no NIC has no switch (the listing itself is unit-tested
    in test_shell_switch.c)."""
    cfg = tmp_path / "quiet.cfg"
    cfg.write_text(f'name = "quiet"\nmemory = 16\nkernel = "{TEST_GUEST}"\n'
                   'extra = "test=hello name=quiet"\nautostart = 0\n')
    with console_run("--timeout", "60", str(cfg), timeout=40) as p:
        p.expect(r"\(hv\) no VM is running yet")
        p.send("help\r")
        p.expect(r"\(hv\)   switch-list \[NAME\] +virtual switches: ports, VLANs, counters, "
                 r"learned MACs")
        p.send("switch-list\r")
        p.expect(r"\(hv\) no switches \(no vif or uplink names one\)")
        p.send("switch-list br0\r")
        p.expect(r"\(hv\) switch-list: no switch 'br0' \(switches are made when a vif or the "
                 r"uplink names one\)")
        p.send("switch-list br0 br1\r")
        p.expect(r"\(hv\) switch-list: too many arguments \(see help\)")
        p.send("create quiet\r")
        p.expect(r"\(quiet\) hello from quiet")
        p.expect(r"\(hv\) no VM is running \(0 crashed\): powering off")
        p.expect(pexpect.EOF)
    assert p.exitstatus == 0


def test_cpus_affinity_and_vcpu_pin(tmp_path):
    """`cpus` places the vCPU; `vcpu-pin` moves it while the VM keeps running."""
    cfg = tmp_path / "pin.cfg"
    cfg.write_text(f'name = "pin"\nmemory = 16\nkernel = "{TEST_GUEST}"\nextra = "test=reset"\n'
                   'on_reboot = "restart"\ncpus = "2"\n')
    with console_run("--timeout", "60", str(cfg), timeout=40) as p:
        p.expect(r"\(hv\) vm 1 'pin': vCPU 0 on cpu 2")
        p.expect(r"\(pin\) reset test: boot")
        p.send("vcpu-pin pin 0 3\r")
        p.expect(r"\(hv\) vm 1 'pin' vCPU 0 now on cpu 3 \(may use cpus 3\)")
        p.send("vcpu-list\r")
        p.expect(r"\(hv\) pin +0 +3 ")
        p.expect(r"\(pin\) reset test: boot")  # still running after the move
        p.send("vcpu-pin pin 0 9\r")
        p.expect(r"\(hv\) vcpu-pin pin 0 9: no such CPU online")
        p.send("vcpu-pin pin 4 1\r")
        p.expect(r"\(hv\) vcpu-pin pin 4 1: no such vCPU")
        p.send("vcpu-pin pin x\r")
        p.expect(r"\(hv\) vcpu-pin: usage: vcpu-pin VM VCPU CPUS")
        p.send("vcpu-pin pin 0 1-2\r")  # allowed CPUs, the least loaded of them
        p.expect(r"\(hv\) vm 1 'pin' vCPU 0 now on cpu [12] \(may use cpus 1-2\)")
        p.send("vcpu-pin pin 0 all\r")  # already allowed where it is: stays
        p.expect(r"\(hv\) vm 1 'pin' vCPU 0 now on cpu [12] \(may use cpus all\)")
        p.send("destroy pin\r")
        p.expect(r"\(hv\) no VM is running \(0 crashed\): powering off")
        p.expect(pexpect.EOF)
    assert p.exitstatus == 0


def test_destroy_then_create_finds_memory_zeroed(tmp_path):
    """The guest fills its RAM, then stops (on_reboot = preserve); after
    destroy and create, the new VM gets the same memory and finds it zeroed."""
    cfg = tmp_path / "z.cfg"
    cfg.write_text(f'name = "z"\nmemory = 16\nkernel = "{TEST_GUEST}"\nextra = "test=reset"\n'
                   'on_reboot = "preserve"\n')
    other = tmp_path / "keep.cfg"
    other.write_text(f'name = "keep"\nmemory = 16\nkernel = "{TEST_GUEST}"\n'
                     'extra = "test=reset"\non_reboot = "restart"\n')
    with console_run("--timeout", "60", str(cfg), str(other), timeout=40) as p:
        p.expect(r"\(hv\) vm 1 'z' \(z.cfg\): 1 vCPU, RAM IPA \S+ -> PA (0x[0-9a-f]+) \(")
        first_pa = p.match.group(1)
        p.expect(r"\(z\) reset test: wrote a pattern")
        p.expect(r"\(hv\) vm 1 'z' rebooted \(PSCI SYSTEM_RESET\); on_reboot=preserve")
        p.send("destroy z\r")
        p.expect(r"\(hv\) vm 1 'z' destroyed")
        # its RAM comes back by background work (scrubbed, then freed): a
        # busy host can take a while, and until then `create` takes other pages
        for _ in range(100):
            p.send("list\r")
            p.expect(r"\(hv\) ID +NAME")
            if p.expect([r"\(hv\) +1 +z +dying\s", r"\(hv\) +- +z +defined\s"]) == 1:
                break
            time.sleep(0.2)
        p.send("create z\r")
        p.expect(r"\(hv\) vm 3 'z' \(z.cfg\): 1 vCPU, RAM IPA \S+ -> PA (0x[0-9a-f]+) \(")
        assert p.match.group(1) == first_pa
        p.expect(r"\(z\) reset test: boot")
        p.expect(r"\(z\) CHECK ram-zeroed: (\w+)\r")
        assert p.match.group(1) == "PASS"
        p.send("destroy z\r")
        p.send("destroy keep\r")
        p.expect(r"\(hv\) no VM is running \(0 crashed\): powering off")
        p.expect(pexpect.EOF)
    assert p.exitstatus == 0


UP = "\x1b[A"
CTRL_U = "\x15"
CTRL_W = "\x17"


def spinner_cfg(tmp_path, cpus="1"):
    """A CPU-bound VM with its vCPU on CPU `cpus` (its time must show there too)."""
    cfg = tmp_path / "spinner.cfg"
    cfg.write_text(f'name = "spinner"\nmemory = 16\nkernel = "{TEST_GUEST}"\n'
                   f'extra = "test=spin ms=600000"\ncpus = "{cpus}"\n')
    return str(cfg)


def test_line_editing_history_and_completion(tmp_path):
    """What is typed shows as it is typed; Backspace, Ctrl-U, Ctrl-W, Up and
    Tab edit the line as in a terminal; an over-long line is refused whole."""
    with console_run("--timeout", "200", "--cpus", "2", spinner_cfg(tmp_path), timeout=60,
                     log=tmp_path / "console.log") as p:
        p.expect(r"\(spinner\) spin: counting")
        p.send("lizt")
        p.expect(r"\(hv\) > lizt")  # echoed before Enter
        p.send("\x7f\x7fst\r")
        p.expect(r"\(hv\) ID +NAME +STATE")
        p.expect(r"\(hv\) 1 +spinner ")
        p.send("destroy spinner" + CTRL_U + "vcpu-list\r")
        p.expect(r"\(hv\) NAME +VCPU +CPU +STATE")
        p.expect(r"\(hv\) spinner +0 +1 +running")
        p.send(UP + UP + "\r")  # list again
        p.expect(r"\(hv\) ID +NAME +STATE")
        p.send("vcpu-l\t\r")  # completes to vcpu-list
        p.expect(r"\(hv\) NAME +VCPU +CPU +STATE")
        p.send("pause spinner" + CTRL_W + CTRL_W + "inf\tsp\t\r")  # info spinner
        p.expect(r"\(hv\) vm 1 'spinner' \(spinner.cfg\)")
        p.send("x" * 200 + "\r")
        p.expect(r"\(hv\) line too long: at most 127 characters; nothing run")
        p.send("list\r")
        p.expect(r"\(hv\) 1 +spinner +r")  # not paused: Ctrl-W took the pause away
        p.send("destroy spinner\r")
        p.expect(r"\(hv\) vm 1 'spinner' destroyed")


def test_cpu_time_of_a_lone_vm_on_cpu_1_and_pause_twice(tmp_path):
    """A CPU-bound VM alone on CPU 1 gets no scheduler tick: its time must
    show all the same; a paused VM's vCPU says paused; pausing twice says so."""
    with console_run("--timeout", "200", "--cpus", "2", spinner_cfg(tmp_path), timeout=60) as p:
        p.expect(r"\(spinner\) spin: counting")
        time.sleep(1)
        p.send("list\r")
        p.expect(r"\(hv\) 1 +spinner +\S+ +1 +16 +([0-9]+)")
        assert int(p.match.group(1)) > 0, p.match.group(0)
        p.send("vcpu-list\r")
        p.expect(r"\(hv\) spinner +0 +1 +running +([0-9]+)")
        assert int(p.match.group(1)) > 0, p.match.group(0)
        p.send("stats spinner\r")
        p.expect(r"\(hv\) spinner( +\d+){8} +([0-9]+)")
        assert int(p.match.group(2)) > 0, p.match.group(0)
        p.send("pause spinner\r")
        p.expect(r"\(hv\) vm 1 'spinner' paused")
        p.send("pause spinner\r")
        p.expect(r"\(hv\) pause spinner: it is paused already")
        p.send("vcpu-list\r")
        p.expect(r"\(hv\) spinner +0 +1 +paused")
        p.send("destroy spinner\r")
        p.expect(r"\(hv\) vm 1 'spinner' destroyed")


def test_on_idle_stay_keeps_the_machine_up(tmp_path):
    """At a terminal `bulkhead run` passes on_idle=stay: once the last VM
    powers off, the machine stays up and the shell still creates VMs."""
    cfg = tmp_path / "brief.cfg"
    cfg.write_text(f'name = "brief"\nmemory = 16\nkernel = "{TEST_GUEST}"\n'
                   'extra = "test=hello name=brief"\n')
    # not console_run: that one asks for on_idle=poweroff
    p = pexpect.spawn(BULKHEAD, ["run", "--timeout", "120", str(cfg)], encoding="utf-8",
                      timeout=60)
    try:
        p.expect(r"\(brief\) tick 4")
        p.expect(r"\(hv\) no VM is running \(0 crashed\); on_idle=stay: the machine stays up")
        p.send("create brief\r")
        p.expect(r"\(brief\) hello from brief")
        p.expect(r"\(brief\) tick 4")
        p.expect(r"\(hv\) no VM is running \(0 crashed\); on_idle=stay")
        p.send("list\r")
        p.expect(r"\(hv\) ID +NAME +STATE")
    finally:
        p.close(force=True)


def test_on_idle_poweroff_without_a_terminal(tmp_path):
    """Without a terminal (scripts, tests) the machine powers off with its last VM."""
    cfg = tmp_path / "brief.cfg"
    cfg.write_text(f'name = "brief"\nmemory = 16\nkernel = "{TEST_GUEST}"\n'
                   'extra = "test=hello name=brief"\n')
    run = run_vms(str(cfg))
    assert run.code == 0, run
    assert "no VM is running (0 crashed): powering off" in run.hv_lines(), run


def parity_cfgs(tmp_path):
    spinner = spinner_cfg(tmp_path, cpus="all")
    crasher = tmp_path / "crasher.cfg"
    crasher.write_text(f'name = "crasher"\nmemory = 16\nkernel = "{TEST_GUEST}"\n'
                       'extra = "test=crash"\non_crash = "preserve"\n')
    lazy = tmp_path / "lazy.cfg"
    lazy.write_text(f'name = "lazy"\nmemory = 16\nkernel = "{TEST_GUEST}"\n'
                    'extra = "test=hello name=lazy"\nautostart = 0\n')
    return spinner, str(crasher), str(lazy)


def test_xl_parity_list_info_uptime_dmesg_top_reboot(tmp_path):
    """list shows every VM the machine knows with xl's states and why one
    stopped; info is the machine; uptime; dmesg replays the boot; top
    refreshes until a key; info VM has the stop's reason; reboot restarts a
    preserved crashed VM."""
    with console_run("--timeout", "200", "--cpus", "2", *parity_cfgs(tmp_path), timeout=60,
                     log=tmp_path / "console.log") as p:
        p.expect(r"\(hv\) vm \d 'crasher' crashed: ")
        p.send("list\r")
        p.expect(r"\(hv\) ID +NAME +STATE +VCPUS +MEM\(MiB\) +CPU\(ms\) +TARGET +MAXMEM +XL +STOPPED BECAUSE")
        p.expect(r"\(hv\) \d +spinner +running +1 +16 +\d+ +16 +16 +r-----")
        p.expect(r"\(hv\) \d +crasher +crashed +1 +16 +\d+ +16 +16 +----c- +crashed: \S")
        p.expect(r"\(hv\) - +lazy +defined .* ------ +\(create NAME starts it\)")

        p.send("info\r")
        p.expect(r"\(hv\) bulkhead_version  : 0\.1\.0")
        p.expect(r"\(hv\) nr_cpus           : 2")
        p.expect(r"\(hv\) total_memory      : \d+ MiB")
        p.expect(r"\(hv\) free_memory       : \d+ MiB")
        p.expect(r"\(hv\) hypervisor_memory : [1-9]\d* KiB")
        p.expect(r"\(hv\) uptime            : \d+:\d\d:\d\d")
        p.expect(r"\(hv\) boot_options      : .*on_idle=poweroff")

        p.send("uptime\r")
        p.expect(r"\(hv\) up \d+:\d\d:\d\d \(\d+ s\)")
        p.send("dmesg\r")
        p.expect(r"\(hv\) > dmesg")
        p.expect(r"\(hv\) Bulkhead 0\.1\.0 starting at EL2 on 2 CPUs")
        p.expect(r"\(hv\) vm \d 'crasher' crashed: ")

        p.send("info crasher\r")
        p.expect(r"\(hv\)   firmware '-', ramdisk '-'")
        p.expect(r"\(hv\)   vCPU 0: cpu \d, affinity all")
        p.expect(r"\(hv\)   last stop: crashed: \S")

        p.send("top\r")
        p.expect(r"\(hv\) ID +NAME +STATE +CPU\(%\) +MEM\(MiB\) +TRAPS/s")
        p.expect(r"\(hv\) \d +spinner +running +\d+ +16 +\d+")
        p.expect(r"\(hv\) ID +NAME +STATE +CPU\(%\)")  # again, a second later
        p.send("q")
        p.expect(r"\(hv\) top: stopped")

        p.send("reboot crasher\r")
        p.expect(r"\(hv\) vm \d 'crasher' restarted by the administrator \(it was crashed: ")
        p.expect(r"\(crasher\) crash test: faulting")
        p.expect(r"\(hv\) vm \d 'crasher' crashed: ")
        p.send("destroy spinner\r")
        p.expect(r"\(hv\) vm \d 'spinner' destroyed")
        p.send("destroy crasher\r")
        p.expect(r"\(hv\) no VM is running \(2 crashed\): powering off")


def test_crash_restart_is_rate_limited(tmp_path):
    """on_crash = "restart" with crash_limit = 2 in crash_window = 600 s:
    the third crash preserves the VM, and the console says why."""
    cfg = tmp_path / "crashy.cfg"
    cfg.write_text(f'name = "crashy"\nmemory = 16\nkernel = "{TEST_GUEST}"\n'
                   'extra = "test=crash"\non_crash = "restart"\ncrash_limit = 2\n'
                   'crash_window = 600\n')
    with console_run("--timeout", "120", "--on-idle", "stay", str(cfg), timeout=60) as p:
        for _ in range(3):
            p.expect(r"\(crashy\) crash test: faulting")
            p.expect(r"\(hv\) vm 1 'crashy' crashed: .*; on_crash=restart")
        p.expect(r"\(hv\) vm 1 'crashy': more than 2 crashes within 600 s \(crash_limit, "
                 r"crash_window\): preserved, not restarted; `reboot crashy` restarts it")
        p.send("list\r")
        p.expect(r"\(hv\) 1 +crashy +crashed .* ----c- +crashed: ")
        p.send("info crashy\r")
        p.expect(r"restarts 2")
