#!/usr/bin/env bash
# `xvm run`'s contract with its user, checked against qemu-aarch64 where a reference exists:
# exit status, death by signal, -E/-U, --strace/--stats/--version/--help, refusal of bad ELFs
# with a one-line reason (never a crash), SIGILL with a message for an undefined instruction.
#   run_contract_test.sh XVM AARCH64_CC QEMU
set -u
xvm="$1"; cc="${2:-}"; qemu="${3:-}"
skip() { echo "SKIPPED: $*"; exit 77; }
[ -x "$cc" ] || skip "aarch64-linux-gnu-gcc not installed"
[ -x "$qemu" ] || skip "qemu-aarch64 not installed"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0; passes=0
check() {  # check NAME CONDITION-COMMAND...
  local name="$1"; shift
  if "$@"; then passes=$((passes + 1)); else echo "FAIL: $name"; fails=$((fails + 1)); fi
}
build() { "$cc" -O2 -static -o "$work/$1" -x c - || { echo "cannot build $1"; exit 1; }; }

build exit3 <<'C'
int main(void) { return 3; }
C
build abort <<'C'
#include <stdlib.h>
int main(void) { abort(); }
C
build segv <<'C'
int main(void) { volatile int* p = (int*)16; return *p; }
C
build env <<'C'
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char** argv) {
  printf("argv0=%s FOO=%s HOME=%s\n", argv[0], getenv("FOO") ? getenv("FOO") : "(unset)",
         getenv("HOME") ? "(set)" : "(unset)");
  return 0;
}
C
build udf <<'C'
int main(void) { __asm__ volatile(".inst 0x00000000"); return 0; }
C

status() { "$@" >/dev/null 2>&1; echo $?; }
for p in exit3 abort segv udf; do
  want=$(status "$qemu" "$work/$p"); got=$(status "$xvm" run "$work/$p")
  check "$p: exit status $got, qemu-aarch64 gives $want" [ "$got" = "$want" ]
done

out=$(FOO=old HOME=/h "$xvm" run -E FOO=bar -U HOME --argv0 myname "$work/env")
check "-E/-U/--argv0: got '$out'" [ "$out" = "argv0=myname FOO=bar HOME=(unset)" ]

# Flags and valued options before "--" (the form xvm uses when it re-executes itself).
out=$(FOO=x "$xvm" run --stats --strace -E HOME=/h --argv0 myname -- "$work/env" 2>/dev/null)
check "flags, options and -- before PROGRAM: got '$out'" [ "$out" = "argv0=myname FOO=x HOME=(set)" ]

err=$("$xvm" run "$work/udf" 2>&1 >/dev/null)
check "undefined instruction message: '$err'" grep -q "A64 instruction 0x00000000 at 0x" <<<"$err"

err=$("$xvm" run --strace "$work/exit3" 2>&1 >/dev/null)
check "--strace shows exit_group" grep -q "exit_group(3)" <<<"$err"
err=$("$xvm" run --stats "$work/exit3" 2>&1 >/dev/null)
check "--stats shows MIPS" grep -q "MIPS" <<<"$err"
# --stats=json: one JSON object with the engine's figures; the exit3 program runs a few
# thousand instructions, all of them counted.
err=$("$xvm" run --stats=json --engine=jit "$work/exit3" 2>&1 >/dev/null)
check "--stats=json is JSON with the JIT figures: '$err'" python3 -c '
import json, sys
s = json.loads(sys.argv[1])
j = s["jit"]
assert s["engine"] == "jit" and s["guest_instructions"] > 1000, s
assert j["instructions_in_translated_code"] + j["instructions_interpreted"] == s["guest_instructions"], j
assert j["blocks_translated"] > 0 and 0 <= j["indirect_hit_rate"] <= 1, j
' "$err"
err=$("$xvm" run --stats=yaml "$work/exit3" 2>&1 >/dev/null); st=$?
check "--stats=yaml refused: status $st, '$err'" bash -c '[ "$1" = 2 ] && grep -q "stats" <<<"$2"' _ "$st" "$err"
check "--version" grep -q "^xvm [0-9]" <<<"$("$xvm" --version)"
check "run --help shows usage" grep -q "PROGRAM" <<<"$("$xvm" run --help)"

# Bad programs: refused with one line naming the reason, non-zero status, no crash (a crash
# would be a status >= 128).
refuse() {  # refuse NAME FILE EXPECTED-TEXT
  local err st
  err=$("$xvm" run "$2" 2>&1 >/dev/null); st=$?
  check "$1: status $st, message '$err'" \
    bash -c '[ "$1" -gt 0 ] && [ "$1" -lt 128 ] && [ "$(wc -l <<<"$2")" = 1 ] && grep -q "$3" <<<"$2"' _ "$st" "$err" "$3"
}
refuse "x86-64 program" /bin/true "not an AArch64 program"
refuse "missing file" "$work/nonexistent" "No such file"
head -c 40 "$work/exit3" > "$work/trunc"; refuse "truncated header" "$work/trunc" "truncated ELF header"
head -c 4096 "$work/exit3" > "$work/trunc2"; refuse "truncated segments" "$work/trunc2" "outside the file"
head -c 2000 /dev/urandom > "$work/random"; refuse "random bytes" "$work/random" "not an ELF"

echo "run contract: $passes passed, $fails failed"
[ "$fails" = 0 ]
