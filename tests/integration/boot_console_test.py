#!/usr/bin/env python3
"""`xvm boot` console through a pseudo-terminal, as a person would use it: the guest's shell
(scripts/guest-init.sh with xvm.shell=1) gets a typed line and its answer comes back; output to
/dev/hvc0 (virtio-console) reaches the same terminal; the kernel uses the virtio-rng device;
`exit` ends the shell, the guest powers off and xvm exits 0.

usage: boot_console_test.py XVM   (exit 77 = skipped: no guest image could be built)
"""
import os
import pty
import select
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from guest_image import engine_args, kernel_and_initrd  # noqa: E402



def main():
    xvm = sys.argv[1]
    kernel, initrd = kernel_and_initrd()

    master, slave = pty.openpty()
    start = time.monotonic()
    p = subprocess.Popen([xvm, "boot", *engine_args(), "--kernel", kernel, "--initrd", initrd,
                          "--append", "console=ttyAMA0 nokaslr panic=-1 xvm.shell=1",
                          "--timeout", "120"],
                         stdin=slave, stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    out = b""

    def expect(what, deadline_s):
        nonlocal out
        end = time.monotonic() + deadline_s
        while what not in out:
            left = end - time.monotonic()
            if left <= 0:
                sys.exit(f"FAIL: no {what!r} within {deadline_s} s; console so far:\n"
                         + out[-2000:].decode(errors="replace"))
            ready, _, _ = select.select([master], [], [], left)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # xvm exited and closed the terminal
                    chunk = b""
                if not chunk:
                    sys.exit(f"FAIL: console closed before {what!r}:\n" + out[-2000:].decode(errors="replace"))
                out += chunk

    expect(b"XVM-GUEST-READY", 90)
    expect(b"# ", 30)  # busybox sh's prompt
    mark = len(out)
    # Typed like a person: characters, then Enter (CR; the guest's tty turns it into NL). The
    # answer is computed by the guest's shell, so seeing the line echoed back is not enough.
    os.write(master, b"echo answer=$((6*7))\r")
    expect(b"answer=42", 30)
    if b"answer=42" not in out[mark:]:
        sys.exit("FAIL: answer missing")
    # The other two devices on the console's side of the machine: /dev/hvc0 (virtio-console)
    # writes to the same terminal, and the kernel's hwrng is the virtio entropy device.
    os.write(master, b"echo hvc=$((40+2)) > /dev/hvc0; cat /sys/class/misc/hw_random/rng_current\r")
    expect(b"hvc=42", 30)
    expect(b"virtio_rng", 30)
    os.write(master, b"exit\r")
    try:
        status = p.wait(timeout=60)
    except subprocess.TimeoutExpired:
        p.kill()
        sys.exit("FAIL: the guest did not power off after the shell exited")
    if status != 0:
        sys.exit(f"FAIL: xvm boot exited with status {status}:\n" + out[-1000:].decode(errors="replace"))
    print(f"console: typed line answered and guest powered off ({time.monotonic() - start:.1f} s)")


if __name__ == "__main__":
    main()
