#!/usr/bin/env python3
"""`xvm boot --cpus 2` under load: four pipelines run at once in the guest (fork, exec, pipes,
page faults and unmaps on both vCPUs, so TLB maintenance crosses vCPUs) and each prints the MD5
of 8 MiB of zeros; every digest must equal the one the host computes, and the guest must power
off cleanly.

usage: boot_smp_test.py XVM   (exit 77 = skipped: no guest image could be built)
"""
import hashlib
import os
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from guest_image import engine_args, kernel_and_initrd  # noqa: E402


def main():
    xvm = sys.argv[1]
    kernel, initrd = kernel_and_initrd()
    want = hashlib.md5(bytes(8 << 20)).hexdigest()
    cmd = ("for i in 1 2 3 4; do (dd if=/dev/zero bs=64k count=128 2>/dev/null | md5sum | "
           "sed s/^/sum$i=/) & done; wait")
    start = time.monotonic()
    p = subprocess.run([xvm, "boot", *engine_args(), "--cpus", "2", "--kernel", kernel, "--initrd", initrd,
                        "--append", f'console=ttyAMA0 nokaslr panic=-1 xvm.cmd="{cmd}"',
                        "--timeout", "180"], stdin=subprocess.DEVNULL, capture_output=True, text=True)
    lines = p.stdout.splitlines()
    sums = {l.split("=", 1)[0]: l.split("=", 1)[1].split()[0] for l in lines if l.startswith("sum")}
    problems = []
    if p.returncode != 0:
        problems.append(f"xvm boot exited with {p.returncode}: {p.stderr.strip()}")
    if "XVM-GUEST-READY cpus=2" not in lines:
        problems.append("the guest did not report 2 CPUs")
    for i in range(1, 5):
        if sums.get(f"sum{i}") != want:
            problems.append(f"pipeline {i}: {sums.get(f'sum{i}')!r}, expected {want}")
    if problems:
        sys.exit("FAIL: " + "; ".join(problems) + "\n" + "\n".join(lines[-30:]))
    print(f"smp: 4 concurrent pipelines on 2 vCPUs, all digests right ({time.monotonic() - start:.1f} s)")


if __name__ == "__main__":
    main()
