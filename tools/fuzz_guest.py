#!/usr/bin/env python3
"""make fuzz-guest: the fuzz guest (guests/fuzz/) for each seed, on 1 and 4
vCPUs in one machine, for OPS ops each. Prints one line per seed and every
FUZZ VIOLATION; exits 1 if any seed found a violation, a hang (no FUZZ DONE
within the timeout), a crashed VM or a hypervisor panic. See docs/fuzzing.md.

usage: tools/fuzz_guest.py [--ops N] [--minutes M] SEED|FIRST-LAST ...
(--minutes: keep taking seeds after the last one given until M minutes pass)
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
GUEST = os.path.join(ROOT, "build", "guests", "fuzz", "fuzz.bin")
DONE = re.compile(r"FUZZ DONE seed=\d+ ops=\d+ secondary_runs=\d+ faults=\d+ calls=\d+ violations=(\d+)")


def seeds(words):
    for w in words:
        first, _, last = w.partition("-")
        if not first.isdigit() or (last and not last.isdigit()):
            sys.exit(f"fuzz_guest: seed '{w}' is not N or N-M")
        yield from range(int(first), int(last or first) + 1)


def run_seed(seed, ops, tmp):
    cfgs = []
    for vcpus in (1, 4):
        path = os.path.join(tmp, f"f{vcpus}.cfg")
        with open(path, "w") as f:
            f.write(f'name = "f{vcpus}"\nvcpus = {vcpus}\nmemory = 32\nkernel = "{GUEST}"\n'
                    f'on_crash = "destroy"\nextra = "seed={seed} ops={ops}"\n')
        cfgs.append(path)
    timeout = 60 + ops // 20
    try:
        proc = subprocess.run([os.path.join(ROOT, "bulkhead"), "run", "--timeout", str(timeout), *cfgs],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                              text=True, errors="replace", timeout=timeout + 120)
        out, code = proc.stdout, proc.returncode
    except subprocess.TimeoutExpired as e:
        out, code = (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or ""), -1
    problems = [l.strip() for l in out.splitlines() if "FUZZ VIOLATION" in l or "PANIC" in l or "' crashed:" in l]
    for name in ("f1", "f4"):
        text = "\n".join(l[len(name) + 3:] for l in out.splitlines() if l.startswith(f"({name}) "))
        if not DONE.search(text):
            problems.append(f"{name}: no FUZZ DONE (hang?)")
    if code != 0:
        problems.append(f"bulkhead run exited {code}")
    return problems, out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ops", type=int, default=20000)
    ap.add_argument("--minutes", type=float, default=0)
    ap.add_argument("--log-dir", default=None, help="keep each failing seed's output here")
    ap.add_argument("seeds", nargs="+")
    args = ap.parse_args()
    todo = list(seeds(args.seeds))
    deadline = time.monotonic() + args.minutes * 60
    failed = []
    with tempfile.TemporaryDirectory(prefix="fuzz-guest-") as tmp:
        i = 0
        while i < len(todo) or (args.minutes and time.monotonic() < deadline):
            seed = todo[i] if i < len(todo) else todo[-1] + (i - len(todo) + 1)
            i += 1
            problems, out = run_seed(seed, args.ops, tmp)
            print(f"seed {seed}: {'ok' if not problems else 'FAILED'}", flush=True)
            for p in problems[:20]:
                print(f"  {p}", flush=True)
            if problems:
                failed.append(seed)
                if args.log_dir:
                    os.makedirs(args.log_dir, exist_ok=True)
                    with open(os.path.join(args.log_dir, f"seed-{seed}.log"), "w") as f:
                        f.write(out)
    print(f"{i} seeds, {len(failed)} failed{': ' + ' '.join(map(str, failed)) if failed else ''}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
