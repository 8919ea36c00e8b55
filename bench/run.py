#!/usr/bin/env python3
"""xvm benchmark harness: each workload under xvm, qemu-aarch64 and natively (x86-64), in one run.

Three sets of workloads (--set, default all):
  c        bench/programs/*.c, built twice: static aarch64 (aarch64-linux-gnu-gcc -O2 -static)
           and native x86-64 (gcc -O2)
  busybox  busybox-static's gzip, md5sum, sort and awk; arm64 from the cache, /bin/busybox natively
  debian   one computing case of each Debian arm64 program of WORKLOADS.md, taken from
           tests/workloads/workloads.py (deb-lua, deb-python, deb-sqlite, deb-xz, deb-gzip,
           deb-bzip2, deb-zstd, deb-perl, deb-bash); the arm64 packages come from
           scripts/fetch-arm64.sh, the native run uses the same Debian programs for amd64
           (scripts/install-deps.sh). A native program that is missing leaves its column empty.

Times are medians of --runs runs of wall time (fork to wait4, taken by a small C helper built
into --build-dir). The table reports ratios (xvm/qemu, xvm/native), which is what the project
compares (ARCHITECTURE.md "Performance method"), and the peak resident set size of xvm and of
qemu (the largest ru_maxrss of wait4 over the runs; it covers the runner and the processes it
waited for). Each run of a Debian case starts in a fresh copy of its input files (made outside
the timed region) with a clean environment, as tests/workloads/run_workload.py does.
Outputs (stdout and exit status 0) of the three runners must be identical: the row says DIFFER
when xvm's and qemu's differ, "DIFFER (native)" when only the native one does (e.g. a host whose
programs are not Debian 12's versions); the exit status is 1 if any row differs.
Usage:

    bench/run.py --xvm build/release/src/xvm [--xvm-args=--engine=tiered] [--runs 3]
                 [--set c|busybox|debian|all] [--json out.json] [--only REGEX] [--refetch]
"""
import argparse
import concurrent.futures
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CACHE = os.path.join(os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "xvm")
sys.path.insert(0, os.path.join(ROOT, "tests", "workloads"))
sys.dont_write_bytecode = True  # no __pycache__ left in the source tree by the import below
from workloads import WORKLOADS  # noqa: E402

# name: (source, argument). Sizes keep each native run at a few tens of milliseconds.
C_PROGRAMS = {
    "intmix": ("intmix.c", "3000000"),
    "nbody": ("nbody.c", "200000"),
    "sort": ("sort.c", "300000"),
    "matmul": ("matmul.c", "160"),
    "strings": ("strings.c", "20000"),
}

# bench name: (workloads.py workload, case). One case per program, chosen for the CPU work it
# does rather than for its coverage of system calls.
DEBIAN_CASES = {
    "deb-lua": ("lua", "script"),
    "deb-python": ("python", "stdlib"),
    "deb-sqlite": ("sqlite", "file-db"),
    "deb-xz": ("compressors", "xz-c"),
    "deb-gzip": ("compressors", "gzip-c"),
    "deb-bzip2": ("compressors", "bzip2-c"),
    "deb-zstd": ("compressors", "zstd-c"),
    "deb-perl": ("perl", "script"),
    "deb-bash": ("coreutils-bash", "bash"),
}


class Workload:
    """One row: the three command lines, and how to set up each run."""

    def __init__(self, name, group, xvm, qemu, native, files=None, env=None):
        self.name, self.group = name, group
        self.cmds = {"native": native, "qemu": qemu, "xvm": xvm}  # native is None if missing
        self.files = files  # None: run in the current directory; else a fresh directory per run
        self.env = env  # None: inherit the environment


def c_workloads(out_dir, xrun, qemu, wanted):
    os.makedirs(out_dir, exist_ok=True)
    work = []
    for name, (src, arg) in C_PROGRAMS.items():
        if not wanted(name):
            continue
        path = os.path.join(HERE, "programs", src)
        arm, nat = os.path.join(out_dir, name + ".aarch64"), os.path.join(out_dir, name + ".x86_64")
        subprocess.run(["aarch64-linux-gnu-gcc", "-O2", "-static", "-o", arm, path, "-lm"], check=True)
        subprocess.run(["gcc", "-O2", "-o", nat, path, "-lm"], check=True)
        work.append(Workload(name, "c", xrun + [arm, arg], [qemu, arm, arg], [nat, arg]))
    return work


def busybox_workloads(out_dir, xrun, qemu, wanted):
    bb = os.path.join(CACHE, "sysroots", "busybox-static", "bin", "busybox")
    if not os.path.exists(bb) or not os.path.exists("/bin/busybox"):
        print(f"note: busybox workloads skipped ({bb} or /bin/busybox missing)", file=sys.stderr)
        return []
    os.makedirs(out_dir, exist_ok=True)
    data = os.path.join(out_dir, "text.dat")
    if not os.path.exists(data):
        words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota"]
        x = 12345
        with open(data, "w") as f:
            for i in range(60000):
                x = (x * 1103515245 + 12345) & 0x7FFFFFFF
                f.write(f"{words[x % 9]} {x % 10007} {words[(x >> 8) % 9]} line{i}\n")
    cases = [
        ("bb-gzip", ["gzip", "-9", "-c", data]),
        ("bb-md5sum", ["md5sum", data]),
        ("bb-sort", ["sort", "-k2", "-n", data]),
        ("bb-awk", ["awk", "{ s += $2; n[$1]++ } END { print s; for (k in n) print k, n[k] }", data]),
    ]
    return [Workload(name, "busybox", xrun + [bb] + cmd, [qemu, bb] + cmd, ["/bin/busybox"] + cmd)
            for name, cmd in cases if wanted(name)]


def fetch_sysroot(workload, refetch):
    """The arm64 sysroot of a workloads.py workload, as run_workload.py fetches it (or None).

    fetch-arm64.sh spends 10-20 s per workload in apt-cache even when every .deb is cached, so a
    sysroot it has completed before (it writes .xvm-stamp last) is used as is unless --refetch.
    """
    root = os.path.join(CACHE, "sysroots", "wl-" + workload)
    if not refetch and os.path.exists(os.path.join(root, ".xvm-stamp")):
        return root
    p = subprocess.run([os.path.join(ROOT, "scripts", "fetch-arm64.sh"), "--deps", "--name",
                        "wl-" + workload] + WORKLOADS[workload]["packages"],
                       capture_output=True, text=True)
    if p.returncode != 0:
        print(f"note: {workload}: cannot fetch the arm64 packages: "
              + (p.stderr.strip().splitlines() or ["?"])[-1], file=sys.stderr)
        return None
    return p.stdout.strip().splitlines()[-1]


def debian_workloads(xrun, qemu, wanted, refetch):
    names = [n for n in DEBIAN_CASES if wanted(n)]
    needed = sorted({DEBIAN_CASES[n][0] for n in names})
    with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:
        sysroots = dict(zip(needed, pool.map(lambda w: fetch_sysroot(w, refetch), needed)))
    work = []
    for name in names:
        wname, cname = DEBIAN_CASES[name]
        sysroot = sysroots[wname]
        if sysroot is None:
            continue
        w = WORKLOADS[wname]
        case = next(c for c in w["cases"] if c["name"] == cname)
        assert "then" not in case and "stdin" not in case, "only single-program cases are timed"
        prog, rest = case["argv"][0], case["argv"][1:]
        native = [prog] + rest
        if not os.access(prog, os.X_OK):
            print(f"note: {name}: native {prog} missing (scripts/install-deps.sh installs it); "
                  "native column left empty", file=sys.stderr)
            native = None
        # The same clean environment as run_workload.py; HOME is set per run to its directory.
        env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C", "TZ": "UTC", "QEMU_LD_PREFIX": sysroot}
        env.update(case.get("env", {}))
        work.append(Workload(name, "debian", xrun + ["--sysroot", sysroot, prog] + rest,
                             [qemu, "-L", sysroot, sysroot + prog] + rest, native,
                             files=w.get("files", {}), env=env))
    return work


def make_inputs(d, files):
    """The workload's input files in a new directory d, mtime fixed as in run_workload.py."""
    os.makedirs(d)
    for rel, content in files.items():
        path = os.path.join(d, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(content if isinstance(content, bytes) else content.encode())
        os.utime(path, (1600000000, 1600000000))
    for root, dirs, _ in os.walk(d):
        for sub in dirs:
            os.utime(os.path.join(root, sub), (1600000000, 1600000000))


# Runs argv[2..] and writes "<wall seconds> <exit status> <peak RSS KiB>" to the file argv[1].
# A separate, small, static process because Linux keeps a process's peak RSS across execve
# (ru_maxrss is a high-water mark of the task, not of the program): a runner forked straight
# from this Python driver would report at least the driver's own size. A child forked from this
# helper starts from the helper's few hundred KiB instead.
RUSAGE_HELPER = r"""
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc < 3) return 125;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  pid_t pid = fork();
  if (pid < 0) return 125;
  if (pid == 0) {
    execvp(argv[2], argv + 2);
    _exit(127);
  }
  int status;
  struct rusage ru;
  if (wait4(pid, &status, 0, &ru) < 0) return 125;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  FILE* f = fopen(argv[1], "w");
  if (!f) return 125;
  fprintf(f, "%.6f %d %ld\n", (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9,
          WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), ru.ru_maxrss);
  return fclose(f) == 0 ? 0 : 125;
}
"""


def build_helper(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    src, exe = os.path.join(out_dir, "rusage.c"), os.path.join(out_dir, "rusage")
    with open(src, "w") as f:
        f.write(RUSAGE_HELPER)
    subprocess.run(["gcc", "-O2", "-static", "-o", exe, src], check=True)
    return exe


def run_once(helper, cmd, cwd, env, scratch):
    """(wall seconds, exit status, stdout, peak RSS in KiB) of one run."""
    report = os.path.join(scratch, "rusage.out")
    with tempfile.TemporaryFile() as out:
        p = subprocess.run([helper, report] + cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                           stdout=out, stderr=subprocess.DEVNULL)
        if p.returncode != 0:
            sys.exit(f"bench: the rusage helper failed ({p.returncode}) on {cmd}")
        with open(report) as f:
            secs, rc, kib = f.read().split()
        out.seek(0)
        return float(secs), int(rc), out.read(), int(kib)


def measure(helper, w, runner, runs, scratch):
    """All times, last exit status and stdout, and peak RSS over the runs (KiB)."""
    times, rss, rc, out = [], 0, None, None
    for i in range(runs):
        cwd, env = None, w.env
        if w.files is not None:
            cwd = os.path.join(scratch, f"{w.name}.{runner}.{i}")
            make_inputs(cwd, w.files)
            env = dict(w.env, HOME=cwd)
        t, rc, out, kib = run_once(helper, w.cmds[runner], cwd, env, scratch)
        if cwd:
            shutil.rmtree(cwd, ignore_errors=True)
        times.append(t)
        rss = max(rss, kib)
    return times, rc, out, rss


def geomean(values):
    values = [v for v in values if v is not None]
    return math.exp(sum(map(math.log, values)) / len(values)) if values else None


def fmt(v, spec):
    return "" if v is None else format(v, spec)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--xvm", required=True)
    ap.add_argument("--xvm-args", default="",
                    help="options for `xvm run`, e.g. '--engine=tiered' (split on spaces)")
    ap.add_argument("--qemu", default=shutil.which("qemu-aarch64") or "qemu-aarch64")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--set", choices=["c", "busybox", "debian", "all"], default="all")
    ap.add_argument("--json")
    ap.add_argument("--only", help="regex over workload names")
    ap.add_argument("--build-dir", default=os.path.join(CACHE, "bench"))
    ap.add_argument("--refetch", action="store_true",
                    help="run scripts/fetch-arm64.sh even for Debian sysroots already in the cache")
    args = ap.parse_args()

    xrun = [os.path.abspath(args.xvm), "run"] + args.xvm_args.split()
    wanted = lambda name: not args.only or re.search(args.only, name)
    helper = build_helper(args.build_dir)
    work = []
    if args.set in ("c", "all"):
        work += c_workloads(args.build_dir, xrun, args.qemu, wanted)
    if args.set in ("busybox", "all"):
        work += busybox_workloads(args.build_dir, xrun, args.qemu, wanted)
    if args.set in ("debian", "all"):
        work += debian_workloads(xrun, args.qemu, wanted, args.refetch)

    rows = []
    scratch = tempfile.mkdtemp(prefix="xvm-bench-")
    try:
        for w in work:
            r = {"workload": w.name, "set": w.group}
            res = {}
            for runner in ("native", "qemu", "xvm"):
                if w.cmds[runner] is None:
                    continue
                times, rc, out, kib = measure(helper, w, runner, args.runs, scratch)
                res[runner] = (statistics.median(times), rc, out)
                r[runner + "_s"], r[runner + "_rss_kib"] = res[runner][0], kib
                r[runner + "_runs_s"] = times
            q, x, n = res["qemu"], res["xvm"], res.get("native")
            r["xvm_over_qemu"] = x[0] / q[0]
            r["xvm_over_native"] = x[0] / n[0] if n else None
            # Outputs: stdout and exit status; every runner must exit 0.
            r["xvm_matches_qemu"] = x[1] == q[1] == 0 and x[2] == q[2]
            r["native_matches"] = None if n is None else n[1] == 0 and n[2] == q[2]
            r["outputs_match"] = r["xvm_matches_qemu"] and r["native_matches"] is not False
            if not r["xvm_matches_qemu"]:
                r["outputs"] = "DIFFER"
            elif r["native_matches"] is False:
                r["outputs"] = "DIFFER (native)"
            elif n is None:
                r["outputs"] = "identical (no native)"
            else:
                r["outputs"] = "identical"
            rows.append(r)
            native = f"native {n[0]:.3f}s " if n else ""
            print(f"{w.name}: {native}qemu {q[0]:.3f}s xvm {x[0]:.3f}s  {r['outputs']}",
                  file=sys.stderr)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    groups = [g for g in ("c", "busybox", "debian") if any(r["set"] == g for r in rows)]
    geo = {g: {k: geomean(r[k] for r in rows if g == "all" or r["set"] == g)
               for k in ("xvm_over_qemu", "xvm_over_native")}
           for g in groups + ["all"]}
    mib = lambda kib: kib / 1024 if kib is not None else None
    print(f"\n{args.runs} runs each, median wall time; ratios < 1 mean xvm is faster; "
          "MiB = peak RSS over the runs.\n")
    print("| workload | native s | qemu-aarch64 s | xvm s | xvm/qemu | xvm/native "
          "| xvm MiB | qemu MiB | outputs |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        print(f"| {r['workload']} | {fmt(r.get('native_s'), '.3f')} | {r['qemu_s']:.3f} | "
              f"{r['xvm_s']:.3f} | {r['xvm_over_qemu']:.2f} | {fmt(r['xvm_over_native'], '.1f')} | "
              f"{mib(r['xvm_rss_kib']):.1f} | {mib(r['qemu_rss_kib']):.1f} | {r['outputs']} |")
    for g in (groups if len(groups) > 1 else []) + ["all"]:
        label = "geometric mean" + ("" if g == "all" else f" ({g})")
        print(f"| **{label}** | | | | **{fmt(geo[g]['xvm_over_qemu'], '.2f')}** | "
              f"**{fmt(geo[g]['xvm_over_native'], '.1f')}** | | | |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"runs": args.runs, "xvm_args": args.xvm_args, "rows": rows,
                       "geomean_xvm_over_qemu": geo["all"]["xvm_over_qemu"],
                       "geomean_xvm_over_native": geo["all"]["xvm_over_native"],
                       "geomean_by_set": {g: geo[g] for g in groups}}, f, indent=2)
    return 0 if all(r["outputs_match"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
