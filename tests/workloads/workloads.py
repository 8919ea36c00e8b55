"""The Debian arm64 workloads of ../shared/WORKLOADS.md and their checks.

Each workload: the packages to fetch (with dependencies), input files created in the work
directory (mtime fixed), and cases (argv with the program's path inside the sysroot, optional
stdin and environment). Outputs must not depend on the runner (no pids, no timings).
"""

import bz2
import gzip
import lzma

BASH_SCRIPT = r"""
set -u
declare -a fruits=(apple banana cherry)
fruits+=(date)
echo "count=${#fruits[@]} second=${fruits[1]} all=${fruits[*]}"
declare -A ages=([alice]=31 [bob]=27)
for k in $(printf '%s\n' "${!ages[@]}" | sort); do echo "$k=${ages[$k]}"; done
x=outer; (x=inner; echo "sub=$x"); echo "x=$x"
sum=0; for ((i = 1; i <= 100; i++)); do ((sum += i * i)); done; echo "sum=$sum"
f() { local v=$1; echo $((v * 2)); }; echo "f=$(f 21)"
s="Hello, World"; echo "${s,,} ${s^^} ${s:7:5} ${s/World/bash}"
mapfile -t lines < data.txt; echo "lines=${#lines[@]} last=${lines[-1]}"
[[ "abc123" =~ ^([a-z]+)([0-9]+)$ ]] && echo "m=${BASH_REMATCH[1]}-${BASH_REMATCH[2]}"
printf '%s\n' "${fruits[@]}" | sort -r | head -2
echo "$(( 2 ** 40 )) $(( -7 / 2 )) $(( -7 % 2 ))"
"""

LUA_SCRIPT = r"""
local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end
print("fib", fib(27))
local t = {}
for i = 1, 200000 do t[i] = (i * 7919) % 100003 end
table.sort(t)
local s = 0
for i = 1, #t, 997 do s = s + t[i] end
print("sorted", t[1], t[#t], s)
local words = {}
for w in ("the quick brown fox jumps over the lazy dog the end"):gmatch("%a+") do
  words[w] = (words[w] or 0) + 1
end
print("the", words.the, string.format("%.6f %g %5.2e", math.pi, 2^0.5, 1/3))
local acc = 0.0
for i = 1, 300000 do acc = acc + math.sin(i) * math.sqrt(i) end
print(string.format("acc %.6f", acc))
print(string.format("%d %s %q", 2^53, tostring(1e100), "a\nb"))
"""

PY_SCRIPT = r"""
import hashlib, json, math, re, struct, sqlite3, threading, subprocess, socket, os
d = {"a": [1, 2.5, None, True], "b": {"c": "\u00e9"}}
s = json.dumps(d, sort_keys=True); print(s, json.loads(s) == d)
print(re.findall(r"(\w+)@(\w+)\.com", "x alice@example.com, bob@test.com y"))
print(re.sub(r"\d+", lambda m: str(int(m.group()) * 2), "a1 b22 c333"))
print(hashlib.sha256(b"xvm" * 1000).hexdigest(), hashlib.md5(b"abc").hexdigest())
print(struct.pack("<IhQd", 1, -2, 3, 1.5).hex(), struct.unpack(">f", b"\x40\x49\x0f\xdb"))
print(math.factorial(30), math.gcd(2**40, 6**20), f"{math.sqrt(2):.15f} {math.erf(0.5):.12f}")
total = [0]; lock = threading.Lock()
def work(n):
    for i in range(20000):
        with lock: total[0] += n
ts = [threading.Thread(target=work, args=(i,)) for i in range(8)]
[t.start() for t in ts]; [t.join() for t in ts]; print("threads", total[0])
db = sqlite3.connect("t.db"); db.execute("create table t(k integer primary key, v text)")
db.executemany("insert into t(v) values (?)", [(str(i * i),) for i in range(1000)])
db.commit(); print(db.execute("select count(*), sum(length(v)), max(k) from t").fetchone())
out = subprocess.run(["echo", "from a child"], capture_output=True, text=True)
print(out.stdout.strip(), out.returncode)
a, b = socket.socketpair(); a.sendall(b"ping"); print(b.recv(4))
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(1)
c = socket.create_connection(srv.getsockname()); conn, _ = srv.accept()
c.sendall(b"over tcp"); print(conn.recv(100)); c.close(); conn.close(); srv.close()
print(sorted(os.listdir(".")))
"""

SQL = """
create table items(id integer primary key, name text, price real, qty int);
with recursive n(i) as (select 1 union all select i + 1 from n where i < 5000)
insert into items(name, price, qty) select 'item' || i, (i % 97) * 1.25, i % 13 from n;
create index items_qty on items(qty);
begin; update items set price = price * 1.1 where qty = 3; commit;
select count(*), round(sum(price * qty), 2), min(name), max(price) from items;
select qty, count(*), round(avg(price), 3) from items group by qty order by qty limit 5;
delete from items where id % 2 = 0;
pragma integrity_check;
select count(*) from items;
"""

PERL_SCRIPT = r"""
use strict; use warnings;
my %count;
while (my $line = <DATA>) { $count{lc $_}++ for $line =~ /(\w+)/g; }
printf "%-6s %d\n", $_, $count{$_} for (sort { $count{$b} <=> $count{$a} || $a cmp $b } keys %count)[0..4];
my $s = join ",", map { $_ * $_ } grep { $_ % 3 == 0 } 1..30; print "$s\n";
(my $t = "Hello World") =~ tr/a-z/A-Z/; print "$t\n";
my @sorted = sort { $a <=> $b } (5, 3, 11, 1, 8); print "@sorted\n";
printf "%.10f %e %s\n", atan2(1, 1) * 4, 1 / 7, 2**53 + 1;
my $str = "a1b22c333"; (my $r = $str) =~ s/(\d+)/<$1>/g; print "$r\n";
__DATA__
The quick brown fox jumps over the lazy dog
the dog barks; the fox runs. The end
"""

DATA = "".join(f"{(i * 7919) % 1009} line {i} {'alpha beta gamma'.split()[i % 3]}\n"
               for i in range(3000))
BLOB = bytes((i * 131 + (i >> 7)) & 0xFF for i in range(100000)) + DATA.encode() * 4

WORKLOADS = {
    "coreutils-bash": {
        "packages": ["coreutils", "bash"],
        "files": {"data.txt": DATA, "dir/a.txt": "alpha\n", "dir/b.txt": "beta beta\n",
                  "script.sh": BASH_SCRIPT},
        "cases": [
            {"name": "ls", "argv": ["/bin/ls", "-l", "--time-style=+%Y-%m-%d", "dir"]},
            {"name": "stat", "argv": ["/usr/bin/stat", "-c", "%n %s %a %F %Y", "data.txt", "dir"]},
            {"name": "date", "argv": ["/bin/date", "-u", "-d", "2024-02-29 13:14:15 +3 days",
                                      "+%F %T %j %a"]},
            {"name": "sort", "argv": ["/usr/bin/sort", "-n", "-k1,1", "-s", "data.txt"]},
            {"name": "sha256sum", "argv": ["/usr/bin/sha256sum", "data.txt", "dir/a.txt"]},
            {"name": "wc-tr", "argv": ["/usr/bin/wc", "-lwc", "data.txt"]},
            {"name": "bash", "argv": ["/bin/bash", "script.sh"]},
        ],
    },
    "lua": {
        "packages": ["lua5.4"],
        "files": {"bench.lua": LUA_SCRIPT},
        "cases": [{"name": "script", "argv": ["/usr/bin/lua5.4", "bench.lua"]}],
    },
    "python": {
        "packages": ["python3.11-minimal", "libpython3.11-stdlib"],
        "files": {"check.py": PY_SCRIPT},
        "cases": [{"name": "stdlib", "argv": ["/usr/bin/python3.11", "check.py"]}],
    },
    "sqlite": {
        "packages": ["sqlite3"],
        "files": {"w.sql": SQL},
        "cases": [{"name": "file-db", "argv": ["/usr/bin/sqlite3", "w.db", ".read w.sql"]}],
    },
    "compressors": {
        "packages": ["xz-utils", "gzip", "bzip2", "zstd"],
        "files": {"blob.bin": BLOB, "ref.xz": lzma.compress(BLOB, preset=6),
                  "ref.gz": gzip.compress(BLOB, 9, mtime=0), "ref.bz2": bz2.compress(BLOB, 9)},
        "cases": [
            # Compressed bytes must be identical under both runners; decompressing data made
            # by Python's own codecs must give back the original exactly.
            {"name": "xz-c", "argv": ["/usr/bin/xz", "-6", "-T1", "-c", "blob.bin"]},
            {"name": "xz-d", "argv": ["/usr/bin/xz", "-d", "-c", "ref.xz"], "expect": BLOB},
            {"name": "gzip-c", "argv": ["/bin/gzip", "-9", "-n", "-c", "blob.bin"]},
            {"name": "gzip-d", "argv": ["/bin/gzip", "-d", "-c", "ref.gz"], "expect": BLOB},
            {"name": "bzip2-c", "argv": ["/bin/bzip2", "-9", "-c", "blob.bin"]},
            {"name": "bzip2-d", "argv": ["/bin/bzip2", "-d", "-c", "ref.bz2"], "expect": BLOB},
            {"name": "zstd-c", "argv": ["/usr/bin/zstd", "-q", "-19", "-c", "blob.bin"]},
            {"name": "zstd-roundtrip", "argv": ["/usr/bin/zstd", "-q", "-c", "blob.bin"],
             "then": ["/usr/bin/zstd", "-q", "-d", "-c"], "expect": BLOB},
        ],
    },
    "perl": {
        "packages": ["perl"],
        "files": {"s.pl": PERL_SCRIPT, "data.txt": DATA},
        "cases": [
            {"name": "script", "argv": ["/usr/bin/perl", "s.pl"]},
            {"name": "one-liner", "argv": ["/usr/bin/perl", "-lane",
                                           "$s += $F[0]; END { print $s, q( ), $. }", "data.txt"]},
        ],
    },
}
