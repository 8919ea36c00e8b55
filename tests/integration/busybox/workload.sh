# A busybox shell workload: >25 applets, pipelines, command substitution, functions, subshells,
# here-documents, traps, arithmetic and archives. Run by run_busybox_test.sh in an empty
# scratch directory with PATH pointing at busybox applet links only; its output must be
# byte-identical under xvm and under qemu-aarch64. It prints nothing machine-specific.
set -e
say() { echo "== $*"; }

say arithmetic and functions
fib() { if [ "$1" -lt 2 ]; then echo "$1"; else echo $(( $(fib $(($1 - 1))) + $(fib $(($1 - 2))) )); fi; }
echo "fib(12)=$(fib 12)"
i=0; total=0
while [ $i -lt 100 ]; do total=$((total + i * i)); i=$((i + 1)); done
echo "sum of squares below 100: $total"

say text tools
cat > words.txt <<'TXT'
the quick brown fox
jumps over the lazy dog
The Quick Brown Fox
pack my box with five dozen liquor jugs
TXT
wc -l < words.txt
tr ' ' '\n' < words.txt | tr 'A-Z' 'a-z' | sort | uniq -c | sort -rn | head -5
grep -i 'quick' words.txt | sed 's/quick/slow/I'
awk '{ n += NF } END { printf "words=%d avg=%.3f\n", n, n / NR }' words.txt
cut -d' ' -f2,3 words.txt | rev
sort -k2 words.txt | head -2
echo "upper: $(echo hello | tr a-z A-Z)"
printf '%05d|%-6s|%x\n' 42 ab 255
seq 1 10 | paste -sd+ | bc 2>/dev/null || seq 1 10 | awk '{s+=$1} END {print s}'
expr 7 \* 6
basename /usr/lib/file.tar.gz .gz; dirname /usr/lib/file.tar.gz

say files and archives
mkdir -p tree/a/b tree/c
for n in 1 2 3; do echo "file $n" > tree/a/f$n.txt; done
echo deep > tree/a/b/deep.txt
ln -s ../a/f1.txt tree/c/link
find tree -type f | sort
find tree -name '*.txt' | wc -l
readlink tree/c/link
cat tree/c/link
tar -cf t.tar tree && rm -rf tree && tar -xf t.tar && ls -R tree | head -20
gzip -9 -c t.tar > t.tar.gz && gzip -dc t.tar.gz | cmp - t.tar && echo "gzip round trip ok"
md5sum tree/a/f1.txt tree/a/b/deep.txt
sha256sum words.txt | cut -c1-16
od -An -tx1 -N8 words.txt
head -c 100 words.txt | tail -c 20
du -s tree >/dev/null && echo du ok
cp -r tree copy && diff -r tree copy && echo "copies equal"
mv copy moved && test -d moved && ! test -e copy && echo moved
chmod 600 words.txt && stat -c '%a %s' words.txt
touch -d '2020-01-02 03:04:05' words.txt 2>/dev/null && date -r words.txt +%Y-%m-%d 2>/dev/null || true

say subshells and pipelines
( cd tree/a && ls | wc -l )
pwd | sed 's|.*/||' >/dev/null && echo "pwd ok"
x=outer; ( x=inner; echo "in subshell: $x" ); echo "after: $x"
echo "a b c" | { read p q r; echo "$r $q $p"; }
yes | head -3
result=$(echo one two three | awk '{print $2}'); echo "second=$result"
status() { return "$1"; }
if status 3; then echo no; else echo "status was $?"; fi
set +e; false | true; echo "pipeline status $?"; set -e
trap 'echo trap on exit' EXIT
case "hello.c" in *.c) echo "C source";; *) echo other;; esac
for w in $(echo alpha beta gamma); do printf '%s:%d ' "$w" "${#w}"; done; echo
sleep 0.1
echo "env: $(env | grep -c '^XVM_TEST_VAR=42$')"
hostname >/dev/null && echo hostname ok
id -u >/dev/null && echo id ok
echo done
