"""The arm64 test guest for the `xvm boot` integration tests: scripts/guest-image.sh's kernel
and initramfs (docs/guest-images.md). A test that cannot get them is skipped (exit 77) with
the reason, as every test needing the package archive is."""
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def kernel_and_initrd():
    """Builds (or reuses) the guest image; returns (kernel, initrd) paths."""
    r = subprocess.run([os.path.join(REPO, "scripts/guest-image.sh")], capture_output=True, text=True)
    if r.returncode == 3:  # guest-image.sh: the Debian packages could not be fetched
        print("SKIPPED: scripts/guest-image.sh could not fetch Debian packages: "
              + r.stderr.strip()[-200:])
        sys.exit(77)
    if r.returncode != 0:
        sys.exit("FAIL: scripts/guest-image.sh failed:\n" + r.stderr)
    kernel, initrd = r.stdout.split()[:2]
    return kernel, initrd


def engine_args():
    """`--engine E` when the test was given an engine after the xvm binary (TEST XVM [E])."""
    return ["--engine", sys.argv[2]] if len(sys.argv) > 2 else []
