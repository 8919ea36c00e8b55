#!/usr/bin/env python3
"""Writes a Linux initramfs (a "newc" cpio archive) without root and without cpio(1).

    mkinitramfs.py OUTPUT --init FILE --busybox FILE [--applet NAME]... [--module KO]...

The archive holds /init, /bin/busybox with a symlink per --applet in /bin, the modules in
/lib/modules/ plus /lib/modules/load-order (their file names in dependency order, one a line),
the mount points /dev /proc /sys /tmp, and /dev/console as a real character device (5, 1): the
kernel opens it for init's stdin/stdout/stderr before /init runs and before devtmpfs exists
(init/main.c console_on_rootfs), and `cpio -o` could only archive such a node as root.

The load order comes from each module's own .modinfo `depends=` field (as modpost writes it);
a dependency that is not among the --module files is an error, so the list must be closed.

OUTPUT ending in .gz is gzip-compressed; otherwise it is written uncompressed, which every
kernel accepts and which costs an emulated guest no decompression time.
"""
import argparse
import gzip
import os
import struct
import sys


def newc_entry(name, mode, data=b"", rdev=(0, 0), ino=0):
    """One newc record: "070701", 13 8-digit hex fields, the NUL-terminated name padded to 4
    bytes (counting the 110-byte header), then the data padded to 4 bytes
    (Linux Documentation/driver-api/early-userspace/buffer-format.rst)."""
    name_b = name.encode() + b"\0"
    nlink = 2 if (mode & 0o170000) == 0o040000 else 1
    fields = (ino, mode, 0, 0, nlink, 0, len(data), 0, 0, rdev[0], rdev[1], len(name_b), 0)
    head = b"070701" + b"".join(b"%08X" % f for f in fields)
    out = head + name_b
    out += b"\0" * (-len(out) % 4)
    out += data + b"\0" * (-len(data) % 4)
    return out


def modinfo(path):
    """The key=value strings of an ELF64 little-endian module's .modinfo section."""
    with open(path, "rb") as f:
        elf = f.read()
    if elf[:4] != b"\x7fELF" or elf[4] != 2 or elf[5] != 1:
        sys.exit(f"mkinitramfs: {path} is not an ELF64 little-endian file")
    shoff, = struct.unpack_from("<Q", elf, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", elf, 0x3A)

    def section(i):  # (name offset, file offset, size) of section header i
        base = shoff + i * shentsize
        name, = struct.unpack_from("<I", elf, base)
        off, size = struct.unpack_from("<QQ", elf, base + 0x18)
        return name, off, size

    _, stroff, _ = section(shstrndx)
    for i in range(shnum):
        name, off, size = section(i)
        end = elf.index(b"\0", stroff + name)
        if elf[stroff + name:end] == b".modinfo":
            pairs = [s.split(b"=", 1) for s in elf[off:off + size].split(b"\0") if b"=" in s]
            return {k.decode(): v.decode() for k, v in pairs}
    sys.exit(f"mkinitramfs: {path} has no .modinfo section (not a kernel module?)")


def load_order(paths):
    """The module files sorted so that each comes after the modules it depends on; otherwise
    in the order given. Module names treat '-' and '_' alike, as the kernel does."""
    norm = lambda n: n.replace("-", "_")
    by_name, deps = {}, {}
    for p in paths:
        info = modinfo(p)
        name = norm(info.get("name", os.path.basename(p)[:-3]))
        by_name[name] = p
        deps[name] = [norm(d) for d in info.get("depends", "").split(",") if d]
    order, state = [], {}

    def visit(n, chain):
        if state.get(n) == "done":
            return
        if state.get(n) == "open":
            sys.exit(f"mkinitramfs: module dependency cycle: {' -> '.join(chain + [n])}")
        state[n] = "open"
        for d in deps[n]:
            if d not in by_name:
                sys.exit(f"mkinitramfs: module {n} depends on {d}, which is not in the list")
            visit(d, chain + [n])
        state[n] = "done"
        order.append(by_name[n])

    for n in by_name:
        visit(n, [])
    return order


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("output")
    ap.add_argument("--init", required=True, help="script installed as /init")
    ap.add_argument("--busybox", required=True, help="static busybox installed as /bin/busybox")
    ap.add_argument("--applet", action="append", default=[], help="make /bin/NAME -> busybox")
    ap.add_argument("--module", action="append", default=[], help="kernel module (.ko)")
    a = ap.parse_args()

    DIR, FILE, LINK, CHR = 0o040755, 0o100644, 0o120777, 0o020600
    entries = [(d, DIR, b"") for d in
               (".", "bin", "sbin", "usr", "usr/bin", "usr/sbin", "dev", "proc", "sys", "tmp",
                "root", "lib", "lib/modules")]
    entries.append(("dev/console", CHR, b""))
    with open(a.busybox, "rb") as f:
        entries.append(("bin/busybox", FILE | 0o111, f.read()))
    entries += [(f"bin/{n}", LINK, b"busybox") for n in a.applet]
    order = load_order(a.module)
    for p in order:
        with open(p, "rb") as f:
            entries.append((f"lib/modules/{os.path.basename(p)}", FILE, f.read()))
    listing = "".join(os.path.basename(p) + "\n" for p in order).encode()
    entries.append(("lib/modules/load-order", FILE, listing))
    with open(a.init, "rb") as f:
        entries.append(("init", FILE | 0o111, f.read()))

    blob = b"".join(newc_entry(name, mode, data, (5, 1) if mode == CHR else (0, 0), ino)
                    for ino, (name, mode, data) in enumerate(entries, start=1))
    blob += newc_entry("TRAILER!!!", 0)
    blob += b"\0" * (-len(blob) % 512)
    tmp = a.output + ".tmp"
    with open(tmp, "wb") as f:
        f.write(gzip.compress(blob, 9, mtime=0) if a.output.endswith(".gz") else blob)
    os.replace(tmp, a.output)
    print("mkinitramfs: module load order:", " ".join(os.path.basename(p) for p in order),
          file=sys.stderr)


if __name__ == "__main__":
    main()
