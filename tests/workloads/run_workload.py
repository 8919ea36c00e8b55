#!/usr/bin/env python3
"""Runs one Debian arm64 workload (WORKLOADS.md) under xvm and under qemu-aarch64 and compares.

    run_workload.py --xvm XVM --qemu QEMU NAME      (exit 77 = skipped, with the reason)

The packages are fetched (with dependencies) by scripts/fetch-arm64.sh into a cached sysroot.
Every case runs in a fresh copy of the workload's input directory, once per runner, with a
clean environment; stdout and the exit status must be byte-identical. The oracle is
`qemu-aarch64 -L SYSROOT`; qemu-user hands execve to the host kernel, so cases that spawn
programs run the host's copy there (e.g. /bin/sh) and the sysroot's under xvm — the checks
only spawn programs whose output is the same either way.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from workloads import WORKLOADS  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def skip(why):
    print(f"SKIPPED: {why}")
    sys.exit(77)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--xvm", required=True)
    ap.add_argument("--qemu", required=True)
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("name")
    args = ap.parse_args()
    w = WORKLOADS[args.name]
    args.xvm = os.path.abspath(args.xvm)
    if not os.path.exists(args.qemu):
        skip("qemu-aarch64 is not installed")
    fetch = subprocess.run([os.path.join(ROOT, "scripts", "fetch-arm64.sh"), "--deps", "--name",
                            "wl-" + args.name] + w["packages"], capture_output=True, text=True)
    if fetch.returncode != 0:
        skip("cannot fetch the arm64 packages: " + (fetch.stderr.strip().splitlines() or ["?"])[-1])
    sysroot = fetch.stdout.strip().splitlines()[-1]

    work = tempfile.mkdtemp(prefix="xvm-wl-")
    failures = 0
    try:
        for case in w["cases"]:
            label, argv = case["name"], case["argv"]
            outs = {}
            for runner in ("qemu", "xvm"):
                d = os.path.join(work, f"{label}.{runner}")
                os.makedirs(d)
                for rel, content in w.get("files", {}).items():
                    path = os.path.join(d, rel)
                    os.makedirs(os.path.dirname(path), exist_ok=True)
                    with open(path, "wb") as f:
                        f.write(content if isinstance(content, bytes) else content.encode())
                    os.utime(path, (1600000000, 1600000000))
                # Directories too (their mtime is their creation second otherwise, which
                # differs between the two runners' copies when they straddle a second).
                for root, dirs, _ in os.walk(d):
                    for sub in dirs:
                        os.utime(os.path.join(root, sub), (1600000000, 1600000000))
                prog = argv[0]
                if runner == "qemu":
                    cmd = [args.qemu, "-L", sysroot, sysroot + prog] + argv[1:]
                else:
                    cmd = [args.xvm, "run", "--sysroot", sysroot, prog] + argv[1:]
                env = {"PATH": "/usr/bin:/bin", "HOME": d, "LC_ALL": "C", "TZ": "UTC",
                       "QEMU_LD_PREFIX": sysroot}
                env.update(case.get("env", {}))
                t = time.perf_counter()
                stdin = case.get("stdin", "").encode()
                p = subprocess.run(cmd, cwd=d, env=env, input=stdin, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, timeout=case.get("timeout", 300))
                out, err, rc = p.stdout, p.stderr, p.returncode
                if "then" in case and rc == 0:
                    # A second program of the same runner reads the first one's output.
                    then = case["then"]
                    cmd2 = ([args.qemu, "-L", sysroot, sysroot + then[0]] if runner == "qemu" else
                            [args.xvm, "run", "--sysroot", sysroot, then[0]]) + then[1:]
                    p = subprocess.run(cmd2, cwd=d, env=env, input=out, stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, timeout=case.get("timeout", 300))
                    out, err, rc = p.stdout, err + p.stderr, p.returncode
                outs[runner] = (out + f"\n[exit status {rc}]\n".encode(), err,
                                time.perf_counter() - t, out)
            q, x = outs["qemu"], outs["xvm"]
            same = q[0] == x[0]
            if same and "expect" in case and x[3] != case["expect"]:
                same = False
                print(f"  {label}: output differs from the expected bytes (independent codec)")
            print(f"{'ok  ' if same else 'FAIL'} {args.name}/{label}: qemu {q[2]:.2f}s xvm {x[2]:.2f}s")
            if not same:
                failures += 1
                print("  --- qemu-aarch64 stdout:\n" + q[0].decode(errors="replace")[-1500:])
                print("  --- xvm stdout:\n" + x[0].decode(errors="replace")[-1500:])
                print("  --- xvm stderr:\n" + x[1].decode(errors="replace")[-1500:])
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(f"{args.name}: {len(w['cases']) - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
