#!/usr/bin/env python3
"""Full-system benchmark (issue 5): boot-to-marker time of Debian's arm64 kernel + the busybox
initramfs of scripts/guest-image.sh under `xvm boot` and under qemu-system-aarch64 (-M virt
-cpu cortex-a57, the closest CPU model), and a CPU-bound static program inside the guest (busybox
gzip and md5sum over 16 MiB, both static arm64 code), timed by the host between two lines the
guest prints. Each xvm engine given (default: tiered, jit, interp) is a runner of its own.
Medians of N runs, interleaved; a Markdown table, and JSON with --json.

usage: bench/boot.py --xvm build/release/src/xvm [--runs 5] [--engines tiered,jit,interp]
                     [--json out.json]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Guest work between the markers: CPU-bound, no I/O besides a pipe (busybox is static).
WORK = "dd if=/dev/zero bs=1M count=16 2>/dev/null | gzip -1 | md5sum"
CMD = f'xvm.cmd="echo BENCH-T0; {WORK}; echo BENCH-T1"'
APPEND = "console=ttyAMA0 nokaslr panic=-1 " + CMD


def runners(xvm, engines, kernel, initrd):
    r = {"qemu": ["qemu-system-aarch64", "-M", "virt,gic-version=3", "-cpu", "cortex-a57",
                  "-m", "512M", "-smp", "1", "-nographic", "-no-reboot", "-nic", "none",
                  "-kernel", kernel, "-initrd", initrd, "-append", APPEND]}
    for e in engines:
        r[f"xvm-{e}"] = [xvm, "boot", "--engine", e, "--kernel", kernel, "--initrd", initrd,
                         "--append", APPEND, "--memory", "512M", "--cpus", "1", "--console",
                         "stdio", "--timeout", "300"]
    return r


def run_once(cmd):
    """Host times (s since start) at which the marker and the two bench lines appeared, and
    the time the process exited."""
    start = time.monotonic()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    seen = {}
    out = []
    for raw in iter(p.stdout.readline, b""):
        now = time.monotonic() - start
        line = raw.decode(errors="replace").strip()
        out.append(line)
        for key in ("XVM-GUEST-READY", "BENCH-T0", "BENCH-T1"):
            if line.startswith(key) and key not in seen:
                seen[key] = now
    p.wait()
    seen["exit"] = time.monotonic() - start
    missing = [k for k in ("XVM-GUEST-READY", "BENCH-T0", "BENCH-T1") if k not in seen]
    if p.returncode != 0 or missing:
        sys.exit(f"{cmd[0]}: status {p.returncode}, missing {missing}:\n" + "\n".join(out[-20:]))
    digest = next((l for l in out if l.endswith("  -")), "")
    return seen, digest


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--xvm", required=True)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--engines", default="tiered,jit,interp",
                    help="comma-separated xvm engines to time (default: %(default)s)")
    ap.add_argument("--json")
    args = ap.parse_args()
    engines = [e for e in args.engines.split(",") if e]
    r = subprocess.run([os.path.join(REPO, "scripts/guest-image.sh")], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("scripts/guest-image.sh failed:\n" + r.stderr)
    kernel, initrd = r.stdout.split()[:2]
    cmds = runners(args.xvm, engines, kernel, initrd)
    results = {name: {"boot_s": [], "work_s": [], "total_s": [], "digest": set()} for name in cmds}
    for i in range(args.runs):
        for name, cmd in cmds.items():
            seen, digest = run_once(cmd)
            res = results[name]
            res["boot_s"].append(seen["XVM-GUEST-READY"])
            res["work_s"].append(seen["BENCH-T1"] - seen["BENCH-T0"])
            res["total_s"].append(seen["exit"])
            res["digest"].add(digest)
            print(f"run {i + 1} {name}: boot {seen['XVM-GUEST-READY']:.2f} s, "
                  f"work {seen['BENCH-T1'] - seen['BENCH-T0']:.2f} s", file=sys.stderr)
    med = {n: {k: statistics.median(v[k]) for k in ("boot_s", "work_s", "total_s")} for n, v in results.items()}
    xvms = [n for n in cmds if n != "qemu"]
    same = all(results[n]["digest"] == results["qemu"]["digest"] for n in xvms) and \
        len(results["qemu"]["digest"]) == 1
    print(f"\n{args.runs} runs each, medians; host wall time\n")
    print("| | qemu-system-aarch64 s | " + " | ".join(f"{n} s | {n}/qemu" for n in xvms) + " |")
    print("|---|---:|" + "---:|---:|" * len(xvms))
    for k, label in (("boot_s", "boot to marker"), ("work_s", "in-guest gzip+md5sum of 16 MiB"),
                     ("total_s", "start to exit")):
        cells = " | ".join(f"{med[n][k]:.2f} | {med[n][k] / med['qemu'][k]:.2f}" for n in xvms)
        print(f"| {label} | {med['qemu'][k]:.2f} | {cells} |")
    print(f"\nin-guest output identical under both: {'yes' if same else 'NO'}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"runs": args.runs, "append": APPEND, "engines": engines,
                       "runners": {n: {k: v[k] for k in ("boot_s", "work_s", "total_s")} for n, v in results.items()},
                       "median": med, "outputs_identical": same}, f, indent=1)
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
