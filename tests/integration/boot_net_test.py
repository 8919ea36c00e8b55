#!/usr/bin/env python3
"""`xvm boot --net user,hostfwd=…`: the guest (Debian's kernel + the busybox initramfs of
scripts/guest-image.sh) gets a DHCP lease from slirp, fetches a page over HTTP from a server this
test runs on the host's 127.0.0.1 (reached as 10.0.2.2), and answers a TCP connection the host
makes to the forwarded port on 127.0.0.1. The page and the reply are random per run, so only
the real transfers can produce them.

usage: boot_net_test.py XVM   (exit 77 = skipped: no guest image could be built)
"""
import http.server
import os
import secrets
import socket
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from guest_image import engine_args, kernel_and_initrd  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    xvm = sys.argv[1]
    kernel, initrd = kernel_and_initrd()

    page = ("page-" + secrets.token_hex(8)).encode()
    reply = "reply-" + secrets.token_hex(8)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    http_port = server.server_address[1]
    fwd_port = free_port()

    # The guest brings eth0 up, asks for a lease (udhcpc applies nothing with -s /bin/true, so
    # the address is set by hand), fetches the page, then serves one connection on port 7000.
    cmd = ("ip link set eth0 up; udhcpc -n -q -t 5 -i eth0 -s /bin/true && echo dhcp-ok; "
           "ip addr add 10.0.2.15/24 dev eth0; ip route add default via 10.0.2.2; "
           f"wget -q -O - http://10.0.2.2:{http_port}/; echo; echo listening; "
           f"echo {reply} | nc -l -p 7000")
    start = time.monotonic()
    p = subprocess.Popen([xvm, "boot", *engine_args(), "--kernel", kernel, "--initrd", initrd,
                          "--net", f"user,hostfwd=tcp:127.0.0.1:{fwd_port}-:7000",
                          "--append", f'console=ttyAMA0 nokaslr panic=-1 xvm.cmd="{cmd}"',
                          "--timeout", "120"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lines = []
    got = b""
    for raw in iter(p.stdout.readline, b""):
        line = raw.decode(errors="replace").rstrip()
        lines.append(line)
        if line == "listening":
            # Host -> guest through the forward on 127.0.0.1 (retry while nc starts listening).
            for _ in range(100):
                try:
                    with socket.create_connection(("127.0.0.1", fwd_port), timeout=10) as s:
                        got = s.recv(4096)
                        while got and not got.endswith(b"\n"):
                            more = s.recv(4096)
                            if not more:
                                break
                            got += more
                    if got:
                        break
                except OSError:
                    pass
                time.sleep(0.1)
    status = p.wait()
    server.shutdown()
    text = "\n".join(lines)
    problems = []
    if "dhcp-ok" not in lines:
        problems.append("no DHCP lease")
    if page.decode() not in lines:
        problems.append("the guest did not print the page it fetched")
    if got.decode(errors="replace").strip() != reply:
        problems.append(f"the forwarded connection returned {got!r}")
    if status != 0:
        problems.append(f"xvm boot exited with {status}")
    if problems:
        sys.exit("FAIL: " + "; ".join(problems) + "\n" + text[-3000:])
    print(f"network: DHCP, HTTP from the host, hostfwd to the guest ({time.monotonic() - start:.1f} s)")


if __name__ == "__main__":
    main()
