#!/usr/bin/env python3
"""xvm benchmark harness: each workload under xvm, qemu-aarch64 and natively (x86-64), in one run.

Times are medians of --runs runs; the table reports ratios (xvm/qemu, xvm/native), which is what
the project compares (ARCHITECTURE.md "Performance method"). Outputs of the three runs must be
identical, or the row is marked as a mismatch. Usage:

    bench/run.py --xvm build/release/src/xvm [--xvm-args=--engine=tiered] [--runs 3]
                 [--json out.json] [--only REGEX]
"""
import argparse
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CACHE = os.path.join(os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "xvm")

# name: (source, argument). Sizes keep each native run at a few tens of milliseconds.
C_PROGRAMS = {
    "intmix": ("intmix.c", "3000000"),
    "nbody": ("nbody.c", "200000"),
    "sort": ("sort.c", "300000"),
    "matmul": ("matmul.c", "160"),
    "strings": ("strings.c", "20000"),
}


def build(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    built = {}
    for name, (src, _) in C_PROGRAMS.items():
        path = os.path.join(HERE, "programs", src)
        arm, nat = os.path.join(out_dir, name + ".aarch64"), os.path.join(out_dir, name + ".x86_64")
        subprocess.run(["aarch64-linux-gnu-gcc", "-O2", "-static", "-o", arm, path, "-lm"], check=True)
        subprocess.run(["gcc", "-O2", "-o", nat, path, "-lm"], check=True)
        built[name] = (arm, nat)
    return built


def busybox_workloads(out_dir):
    bb = os.path.join(CACHE, "sysroots", "busybox-static", "bin", "busybox")
    if not os.path.exists(bb) or not os.path.exists("/bin/busybox"):
        print(f"note: busybox workloads skipped ({bb} or /bin/busybox missing)", file=sys.stderr)
        return []
    data = os.path.join(out_dir, "text.dat")
    if not os.path.exists(data):
        words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota"]
        x = 12345
        with open(data, "w") as f:
            for i in range(60000):
                x = (x * 1103515245 + 12345) & 0x7FFFFFFF
                f.write(f"{words[x % 9]} {x % 10007} {words[(x >> 8) % 9]} line{i}\n")
    return [
        ("bb-gzip", ["gzip", "-9", "-c", data], bb),
        ("bb-md5sum", ["md5sum", data], bb),
        ("bb-sort", ["sort", "-k2", "-n", data], bb),
        ("bb-awk", ["awk", "{ s += $2; n[$1]++ } END { print s; for (k in n) print k, n[k] }", data], bb),
    ]


def timed(cmd):
    start = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start, p.returncode, p.stdout


def median_time(cmd, runs):
    times, out, rc = [], None, None
    for _ in range(runs):
        t, rc, out = timed(cmd)
        times.append(t)
    return statistics.median(times), rc, out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--xvm", required=True)
    ap.add_argument("--xvm-args", default="",
                    help="options for `xvm run`, e.g. '--engine=tiered' (split on spaces)")
    ap.add_argument("--qemu", default=shutil.which("qemu-aarch64") or "qemu-aarch64")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--json")
    ap.add_argument("--only", help="regex over workload names")
    ap.add_argument("--build-dir", default=os.path.join(CACHE, "bench"))
    args = ap.parse_args()

    xrun = [args.xvm, "run"] + args.xvm_args.split()
    progs = build(args.build_dir)
    rows = []
    work = []
    for name, (arm, nat) in progs.items():
        a = C_PROGRAMS[name][1]
        work.append((name, xrun + [arm, a], [args.qemu, arm, a], [nat, a]))
    for name, cmd, bb in busybox_workloads(args.build_dir):
        work.append((name, xrun + [bb] + cmd, [args.qemu, bb] + cmd, ["/bin/busybox"] + cmd))
    for name, xcmd, qcmd, ncmd in work:
        if args.only and not re.search(args.only, name):
            continue
        tn, rn, on = median_time(ncmd, args.runs)
        tq, rq, oq = median_time(qcmd, args.runs)
        tx, rx, ox = median_time(xcmd, args.runs)
        ok = rn == rq == rx == 0 and on == oq == ox
        rows.append({"workload": name, "native_s": tn, "qemu_s": tq, "xvm_s": tx,
                     "xvm_over_qemu": tx / tq, "xvm_over_native": tx / tn, "outputs_match": ok})
        print(f"{name}: native {tn:.3f}s qemu {tq:.3f}s xvm {tx:.3f}s{'' if ok else '  OUTPUT MISMATCH'}",
              file=sys.stderr)

    geo = lambda k: math.exp(sum(math.log(r[k]) for r in rows) / len(rows)) if rows else float("nan")
    print(f"\n{args.runs} runs each, median wall time; ratios < 1 mean xvm is faster.\n")
    print("| workload | native s | qemu-aarch64 s | xvm s | xvm/qemu | xvm/native | outputs |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for r in rows:
        print(f"| {r['workload']} | {r['native_s']:.3f} | {r['qemu_s']:.3f} | {r['xvm_s']:.3f} | "
              f"{r['xvm_over_qemu']:.2f} | {r['xvm_over_native']:.1f} | "
              f"{'identical' if r['outputs_match'] else 'MISMATCH'} |")
    print(f"| **geometric mean** | | | | **{geo('xvm_over_qemu'):.2f}** | **{geo('xvm_over_native'):.1f}** | |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"runs": args.runs, "rows": rows, "geomean_xvm_over_qemu": geo("xvm_over_qemu"),
                       "geomean_xvm_over_native": geo("xvm_over_native")}, f, indent=2)
    return 0 if all(r["outputs_match"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
