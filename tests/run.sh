#!/usr/bin/env bash
#
# tests/run.sh - run moat's test suite.
#
# Usage:
#   tests/run.sh MOAT_BINARY [LABEL]
#   tests/run.sh BINARY:LABEL [BINARY:LABEL...]
#
# Runs every test under each given moat binary and compares the result with
# a native run of the same test (native runs happen once and are shared):
#
#   syscalls  every executable file in build/tests/ (built by `make` from
#             tests/syscalls/*.c). tests/syscalls/expect.txt gives arguments
#             and expected exit statuses (default: no arguments, status 0).
#             Natively the status must be as expected and stderr empty;
#             under moat stdout, stderr and status must equal the native run.
#   progs     real programs from tests/progs/cases.txt (NAME<TAB>PROG ARG...);
#             under moat stdout, stderr and status must equal the native run.
#   badexec   executables moat must refuse (missing: 127; directory, text
#             file, truncated ELF, wrong architecture, not executable: 126),
#             with empty stdout and stderr starting with "moat:".
#
# Output: one line per test, `PASS LABEL name` or `FAIL LABEL name: reason`,
# then exactly one final line `N passed, N failed`. Exit status 1 if any test
# failed, 2 on usage errors.
#
# Environment:
#   TESTS_FILTER     extended grep pattern; only tests whose name matches run
#                    (names look like "syscalls/mmap", "syscalls/exitcode 42",
#                    "progs/busybox-seq", "badexec/missing")
#   TESTS_BUILD_DIR  directory of test binaries (default: build/tests)
#   TESTS_TIMEOUT    per-run timeout in seconds (default: 60)
#
# Every run gets stdin from /dev/null. Needs bash >= 4.4 and coreutils.

set -u

usage() {
	echo "usage: $0 MOAT_BINARY [LABEL]" >&2
	echo "       $0 BINARY:LABEL [BINARY:LABEL...]" >&2
	exit 2
}

# Absolute path of a moat binary given relative to the caller's directory
# (commands without a slash are left for PATH lookup).
abspath() {
	case $1 in
	/*) printf '%s\n' "$1" ;;
	*/*) printf '%s\n' "$PWD/$1" ;;
	*) printf '%s\n' "$1" ;;
	esac
}

# ---------------------------------------------------------------- arguments

MOATS=()
LABELS=()
[ $# -ge 1 ] || usage
if [ $# -eq 2 ] && [[ $1 != *:* && $2 != *:* ]] && [ ! -e "$2" ]; then
	MOATS=("$(abspath "$1")")
	LABELS=("$2")
else
	for arg in "$@"; do
		[ -n "$arg" ] || usage
		if [[ $arg == *:* ]]; then
			bin=${arg%:*} label=${arg##*:}
		else
			bin=$arg label=$arg
		fi
		if [ -z "$bin" ] || [ -z "$label" ]; then
			usage
		fi
		MOATS+=("$(abspath "$bin")")
		LABELS+=("$label")
	done
fi

ROOT=$(cd "$(dirname "$0")/.." && pwd) || exit 2
BUILD_DIR=${TESTS_BUILD_DIR:-build/tests}
case $BUILD_DIR in /*) ;; *) BUILD_DIR=$PWD/$BUILD_DIR ;; esac
cd "$ROOT" || exit 2
TIMEOUT=${TESTS_TIMEOUT:-60}
FILTER=${TESTS_FILTER:-}

# Scratch files live under build/ (with --rw the sandbox's /tmp is its
# own in-memory file system, so programs there could not see them).
mkdir -p "$ROOT/build" || exit 2
TMP=$(mktemp -d "$ROOT/build/tests-tmp.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM

# Crashing tests must not leave core files around.
ulimit -c 0 2>/dev/null

# ---------------------------------------------------------------- reporting

npass=0
nfail=0

pass() { # LABEL NAME
	echo "PASS $1 $2"
	npass=$((npass + 1))
}

fail() { # LABEL NAME REASON
	echo "FAIL $1 $2: $3"
	nfail=$((nfail + 1))
}

# One-line, printable, length-limited version of a text.
oneline() {
	tr '\n' '|' | cat -v | cut -c1-"${1:-200}" | sed 's/|$//'
	true
}

# "; stderr: ..." summary of FILE, or nothing if it is empty.
stderr_note() { # FILE
	[ -s "$1" ] && printf '; stderr: %s' "$(oneline <"$1" 150)"
	true
}

# Short one-line description of how FILE2 differs from FILE1.
diff_summary() { # NATIVE_FILE MOAT_FILE
	diff -- "$1" "$2" | grep -m 6 '^[<>]' | oneline
}

# Human-readable form of an exit status.
describe_status() {
	local st=$1
	case $st in
	124) echo "124 (timed out after ${TIMEOUT}s)" ;;
	137) echo "137 (SIGKILL, possibly timed out)" ;;
	129 | 13[0-9] | 1[4-9][0-9]) echo "$st (signal $((st - 128)))" ;;
	*) echo "$st" ;;
	esac
}

# -------------------------------------------------------------------- cases
#
# Each case is a directory $TMP/case/N holding:
#   name   the test name
#   kind   syscalls | progs
#   want   expected native exit status, or "any" (progs)
#   argv   the command line, NUL-separated
# Native results go to out, err and status in the same directory.

ncases=0

selected() { # NAME
	[ -z "$FILTER" ] || printf '%s\n' "$1" | grep -Eq -- "$FILTER"
}

add_case() { # KIND NAME WANT ARGV...
	local dir
	selected "$2" || return 0
	dir=$TMP/case/$ncases
	mkdir -p "$dir"
	printf '%s\n' "$1" >"$dir/kind"
	printf '%s\n' "$2" >"$dir/name"
	printf '%s\n' "$3" >"$dir/want"
	shift 3
	printf '%s\0' "$@" >"$dir/argv"
	ncases=$((ncases + 1))
}

# Setup problems are reported as failures of a pseudo-test.
setup_failures=()

# syscalls: every executable regular file in the build directory.
EXPECT=tests/syscalls/expect.txt
nbinaries=0
for bin in "$BUILD_DIR"/*; do
	if [ ! -f "$bin" ] || [ ! -x "$bin" ]; then
		continue
	fi
	nbinaries=$((nbinaries + 1))
	base=${bin##*/}
	# Lines of expect.txt for this binary (or for X when this is X.pie).
	lines=$(awk -F'\t' -v b="$base" '$1 == b' "$EXPECT" 2>/dev/null)
	if [ -z "$lines" ] && [[ $base == *.pie ]]; then
		lines=$(awk -F'\t' -v b="${base%.pie}" '$1 == b' "$EXPECT" 2>/dev/null)
	fi
	[ -n "$lines" ] || lines=$(printf '%s\t0' "$base")
	while IFS=$'\t' read -r _ want args; do
		read -r -a argv <<<"$args"
		add_case syscalls "syscalls/$base${args:+ $args}" "$want" \
			"$bin" "${argv[@]}"
	done <<<"$lines"
done
if [ "$nbinaries" -eq 0 ]; then
	setup_failures+=("no test binaries in $BUILD_DIR (run make first)")
fi

# progs: NAME<TAB>COMMAND lines; the command is split like xargs does.
CASES=tests/progs/cases.txt
if [ -f "$CASES" ]; then
	lineno=0
	while IFS= read -r line || [ -n "$line" ]; do
		lineno=$((lineno + 1))
		case $line in '' | '#'*) continue ;; esac
		name=${line%%$'\t'*}
		cmd=${line#*$'\t'}
		if [ "$name" = "$line" ] || [ -z "$name" ] || [ -z "$cmd" ]; then
			setup_failures+=("$CASES:$lineno: expected NAME<TAB>COMMAND")
			continue
		fi
		# xargs implements the quoting rules and fails on bad quotes.
		if ! printf '%s\n' "$cmd" | xargs printf '%s\0' >"$TMP/split" \
			2>/dev/null; then
			setup_failures+=("$CASES:$lineno: cannot split command: $cmd")
			continue
		fi
		mapfile -d '' -t argv <"$TMP/split"
		add_case progs "progs/$name" any "${argv[@]}"
	done <"$CASES"
else
	setup_failures+=("$CASES is missing")
fi

# Run ARGV with a timeout; stdout/stderr to DIR/out, DIR/err. Returns the
# status as a shell would report it (128+N if killed by signal N). The extra
# subshell keeps bash's "Segmentation fault" notices out of our output.
run_in() { # DIR ARGV...
	local dir=$1
	shift
	(
		timeout -k 5 "$TIMEOUT" "$@" >"$dir/out" 2>"$dir/err" </dev/null
		exit $?
	) 2>/dev/null
}

# ------------------------------------------------------------- native runs

for ((i = 0; i < ncases; i++)); do
	dir=$TMP/case/$i
	mapfile -d '' -t argv <"$dir/argv"
	run_in "$dir" "${argv[@]}"
	echo $? >"$dir/status"
done

# Why case DIR fails natively, or nothing if it behaves as expected.
native_problem() { # DIR
	local dir=$1 st want kind
	st=$(cat "$dir/status")
	want=$(cat "$dir/want")
	kind=$(cat "$dir/kind")
	if [ "$want" = any ]; then
		case $st in
		124 | 125 | 126 | 127 | 137)
			echo "fails natively: exit status $(describe_status "$st")" \
				"$(oneline <"$dir/err" 100)"
			;;
		esac
	elif [ "$st" != "$want" ]; then
		echo "fails natively: exit status $(describe_status "$st"), want" \
			"$want; $(head -n 3 "$dir/out" | oneline)" \
			"$(oneline <"$dir/err" 100)"
	elif [ "$kind" = syscalls ] && [ -s "$dir/err" ]; then
		echo "fails natively: stderr not empty: $(oneline <"$dir/err" 100)"
	fi
}

# ------------------------------------------------------ bad executables
#
# Built once in $TMP/bad from a known-good static test binary.

BAD=$TMP/bad
mkdir -p "$BAD"
bad_names=()
bad_paths=()
bad_status=()

add_bad() { # NAME PATH STATUS
	selected "badexec/$1" || return 0
	bad_names+=("badexec/$1")
	bad_paths+=("$2")
	bad_status+=("$3")
}

GOOD_ELF=$BUILD_DIR/hello
if [ -f "$GOOD_ELF" ]; then
	add_bad missing "$BAD/does-not-exist" 127
	mkdir "$BAD/directory"
	add_bad directory "$BAD/directory" 126
	printf 'hello, I am only text\n' >"$BAD/text-file"
	chmod +x "$BAD/text-file"
	add_bad text-file "$BAD/text-file" 126
	head -c 100 "$GOOD_ELF" >"$BAD/truncated-elf"
	chmod +x "$BAD/truncated-elf"
	add_bad truncated-elf "$BAD/truncated-elf" 126
	# e_machine (2 bytes at offset 18) := EM_AARCH64 (183 = 0xb7).
	cp "$GOOD_ELF" "$BAD/aarch64-elf"
	printf '\267\000' | dd of="$BAD/aarch64-elf" bs=1 seek=18 count=2 \
		conv=notrunc 2>/dev/null
	chmod +x "$BAD/aarch64-elf"
	add_bad wrong-arch "$BAD/aarch64-elf" 126
	cp "$GOOD_ELF" "$BAD/not-executable"
	chmod a-x "$BAD/not-executable"
	add_bad not-executable "$BAD/not-executable" 126
elif selected badexec/; then
	setup_failures+=("$GOOD_ELF is missing: cannot build badexec cases")
fi

# ---------------------------------------------------------- moat runs

for ((m = 0; m < ${#MOATS[@]}; m++)); do
	moat=${MOATS[m]}
	label=${LABELS[m]}

	for reason in "${setup_failures[@]+"${setup_failures[@]}"}"; do
		fail "$label" setup "$reason"
	done
	if ! command -v -- "$moat" >/dev/null 2>&1 ||
		{ [[ $moat == */* ]] && ! [ -x "$moat" ]; }; then
		fail "$label" setup "moat binary $moat not found or not executable"
		continue
	fi

	for ((i = 0; i < ncases; i++)); do
		dir=$TMP/case/$i
		name=$(cat "$dir/name")
		problem=$(native_problem "$dir")
		if [ -n "$problem" ]; then
			fail "$label" "$name" "$problem"
			continue
		fi
		mapfile -d '' -t argv <"$dir/argv"
		mkdir -p "$dir/moat"
		run_in "$dir/moat" "$moat" run -- "${argv[@]}"
		st=$?
		want=$(cat "$dir/status")
		if [ "$st" != "$want" ]; then
			fail "$label" "$name" "exit status $(describe_status "$st"), native $(describe_status "$want")$(stderr_note "$dir/moat/err")"
		elif ! cmp -s "$dir/out" "$dir/moat/out"; then
			fail "$label" "$name" "stdout differs (< native, > moat): $(diff_summary "$dir/out" "$dir/moat/out")"
		elif ! cmp -s "$dir/err" "$dir/moat/err"; then
			fail "$label" "$name" "stderr differs (< native, > moat): $(diff_summary "$dir/err" "$dir/moat/err")"
		else
			pass "$label" "$name"
		fi
	done

	for ((b = 0; b < ${#bad_names[@]}; b++)); do
		dir=$TMP/badrun
		rm -rf "$dir"
		mkdir -p "$dir"
		run_in "$dir" "$moat" run -- "${bad_paths[b]}"
		st=$?
		want=${bad_status[b]}
		if [ "$st" != "$want" ]; then
			fail "$label" "${bad_names[b]}" "exit status $(describe_status "$st"), want $want$(stderr_note "$dir/err")"
		elif [ "$(head -c 5 "$dir/err")" != "moat:" ]; then
			fail "$label" "${bad_names[b]}" "stderr does not start with \"moat:\": $(oneline <"$dir/err" 150)"
		elif [ -s "$dir/out" ]; then
			fail "$label" "${bad_names[b]}" "unexpected stdout: $(oneline <"$dir/out" 150)"
		else
			pass "$label" "${bad_names[b]}"
		fi
	done

	# Command-line behaviour: environment, PATH lookup, --strace, logs.
	cli_check() { # NAME WANT_STATUS GREP_PATTERN_ON_STDOUT+STDERR CMD...
		local cname=$1 cwant=$2 cpat=$3
		shift 3
		if [ -n "${TESTS_FILTER:-}" ] && ! grep -Eq -- "$TESTS_FILTER" <<<"cli/$cname"; then
			return
		fi
		local cout cst
		cout=$(timeout "${TESTS_TIMEOUT:-60}" "$@" </dev/null 2>&1)
		cst=$?
		if [ "$cst" != "$cwant" ]; then
			fail "$label" "cli/$cname" "exit status $cst, want $cwant: $(oneline <<<"$cout" 200)"
		elif ! grep -Eq -- "$cpat" <<<"$cout"; then
			fail "$label" "cli/$cname" "output lacks /$cpat/: $(oneline <<<"$cout" 200)"
		else
			pass "$label" "cli/$cname"
		fi
	}
	if [ -x /bin/busybox ]; then
		cli_check clear-env 0 '^ONLY=1$' env -u MOAT_X "$moat" run --clear-env --env ONLY=1 -- /bin/busybox env
		cli_check env-passes 0 '^MOAT_TEST_VAR=passed$' env MOAT_TEST_VAR=passed "$moat" run -- /bin/busybox env
		cli_check env-overrides 0 '^MOAT_TEST_VAR=new$' env MOAT_TEST_VAR=old "$moat" run --env MOAT_TEST_VAR=new -- /bin/busybox env
		cli_check path-lookup 0 '^found$' env PATH=/nonexistent:/bin "$moat" run -- busybox echo found
		cli_check strace 0 'write\(1, "traced\\n", 7\) = 7' "$moat" run --strace -- /bin/busybox echo traced
		# date reads the clock through moat's vDSO: no clock syscall traps
		# (on a host with an invariant TSC, which Linux calls nonstop_tsc).
		if grep -qw nonstop_tsc /proc/cpuinfo; then
			cli_check vdso-no-trap 0 '^clock traps: 0$' sh -c "\"$moat\" run --strace -- /bin/busybox date 2>&1 |
				grep -Ec '\\] (clock_gettime|gettimeofday|time)\\(' | sed 's/^/clock traps: /'"
		fi
		cli_check exit-status 3 '' "$moat" run -- /bin/busybox sh -c 'exit 3'
		# The first program's read-only segments come into its stub
		# straight from the host file (busybox-static: text and rodata).
		cli_check host-mapped 0 '^program: 2 read-only segments mapped from the host file$' \
			sh -c "\"$moat\" run --debug-log /dev/stdout -- /bin/busybox true | grep '^program:'"
		# libc's syscall sites get patched (a [usertrap] table appears),
		# unless --no-syscall-patching.
		cli_check usertrap 0 '^patched: 1$' "$moat" run -- /bin/busybox sh -c 'echo patched: $(grep -c usertrap /proc/self/maps)'
		cli_check no-syscall-patching 0 '^patched: 0$' "$moat" run --no-syscall-patching -- /bin/busybox sh -c 'echo patched: $(grep -c usertrap /proc/self/maps)'
		# glibc's read() sites (xor %eax,%eax; syscall) too: their jump
		# pointers get a [usertrap] page of their own.
		cli_check usertrap-read 0 '^usertrap maps: 2$' "$moat" run -- /usr/bin/python3 -c \
			"import os; fd = os.open('/dev/zero', 0); [os.read(fd, 1) for _ in range(5)]; print('usertrap maps:', open('/proc/self/maps').read().count('usertrap'))"
	fi
	cli_check usage 125 '^moat: ' "$moat" run --no-such-flag -- /bin/true
	cli_check no-program 125 '^moat: ' "$moat" run --
	if [ -x /bin/busybox ]; then
		# The first program is PID 1 of its own namespace.
		cli_check pid-1 0 '^1$' "$moat" run -- /bin/busybox sh -c 'echo $$'
		# A sandbox blocked in a sleep burns no CPU: under 0.2 s of
		# user+system time for a 1 s sleep (spinning would cost ~2 s).
		if [ -z "${TESTS_FILTER:-}" ] || grep -Eq -- "$TESTS_FILTER" <<<"cli/idle-cpu"; then
			cpu=$( { TIMEFORMAT='%U %S'; time "$moat" run -- /bin/busybox sleep 1 >/dev/null 2>&1; } 2>&1 | awk '{ print $1 + $2 }')
			if awk -v c="$cpu" 'BEGIN { exit !(c < 0.2) }'; then
				pass "$label" cli/idle-cpu
			else
				fail "$label" cli/idle-cpu "sleep 1 used ${cpu}s of CPU"
			fi
		fi
	fi
	# Nothing of moat outlives it: stubs, the stub factory and the exit
	# helper die with it, whether it exits or is killed (SIGKILL).
	cli_check nothing-left 0 '^ok$' /usr/bin/python3 tests/nothing_left.py "$moat"
	cli_check nothing-left-killed 0 '^ok$' /usr/bin/python3 tests/nothing_left.py "$moat" kill
	# The clock's first re-anchoring (2 ms on) is left to the main
	# thread to arm the timer thread for: it must still happen.
	if [ -x /bin/busybox ] && grep -qw nonstop_tsc /proc/cpuinfo; then
		clog=$TMP/clock.log
		cli_check clock-updates 0 're-anchored after 2 ms' sh -c "\"$moat\" run --debug-log $clog -- /bin/busybox sleep 0.05 && cat $clog"
	fi
	# fpu makes syscall 1000 (no such syscall) many times: logged once.
	logf=$TMP/debug.log
	cli_check enosys-run 0 '' "$moat" run --debug-log "$logf" -- "${TESTS_BUILD_DIR:-build/tests}/fpu"
	if [ -z "${TESTS_FILTER:-}" ] || grep -Eq -- "$TESTS_FILTER" <<<"cli/enosys-logged-once"; then
		n=$(grep -c 'unknown syscall 1000' "$logf" 2>/dev/null)
		if [ "$n" = 1 ]; then
			pass "$label" cli/enosys-logged-once
		else
			fail "$label" cli/enosys-logged-once "'unknown syscall 1000' logged ${n:-0} times"
		fi
	fi

	# File systems (issue 3): what the sandbox writes never reaches the
	# host, and --root confines every path to its directory.
	if [ -x /bin/busybox ] && { [ -z "${TESTS_FILTER:-}" ] || grep -Eq -- "$TESTS_FILTER" <<<"fs/"; }; then
		H=$TMP/host-files
		rm -rf "$H" && mkdir -p "$H/dir" && echo original >"$H/keep" && echo doomed >"$H/doomed"
		cli_check overlay-writes 0 '^ok$' "$moat" run -- /usr/bin/python3 -c "
import os
p = '$H'
open(p + '/keep', 'a').write('more')
os.unlink(p + '/doomed')
open(p + '/new', 'w').write('n')
os.mkdir(p + '/newdir')
os.rename(p + '/dir', p + '/dir2')
assert open(p + '/keep').read() == 'original\\nmore'
assert not os.path.exists(p + '/doomed') and os.path.isdir(p + '/dir2')
print('ok')"
		cli_check overlay-rm-r 0 '' "$moat" run -- /bin/busybox rm -rf "$H"
		if [ "$(cat "$H/keep")" = original ] && [ -f "$H/doomed" ] && [ -d "$H/dir" ] &&
			[ ! -e "$H/new" ] && [ ! -e "$H/newdir" ] && [ ! -e "$H/dir2" ]; then
			pass "$label" fs/host-unchanged
		else
			fail "$label" fs/host-unchanged "the host sees the sandbox's writes: $(ls "$H" | tr '\n' ' ')"
		fi

		# The host's /tmp is visible, and the sandbox's changes to it stay
		# in the sandbox.
		T=$(mktemp /tmp/moat-visible.XXXXXX) && echo visible >"$T"
		cli_check tmp-visible 0 '^visible$' "$moat" run -- /bin/busybox cat "$T"
		cli_check tmp-rm 0 '' "$moat" run -- /bin/busybox rm "$T"
		if [ "$(cat "$T" 2>/dev/null)" = visible ]; then
			pass "$label" fs/tmp-unchanged
		else
			fail "$label" fs/tmp-unchanged "the sandbox removed a host file in /tmp"
		fi
		rm -f "$T"

		# mount(2) inside the sandbox: tmpfs and bind mounts stack and
		# unstack; unknown types are ENODEV; nothing reaches the host.
		cli_check mount-syscall 0 '^ok$' "$moat" run -- /usr/bin/python3 -c "
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
os.makedirs('/mnt/moat-x', exist_ok=True)
open('/mnt/moat-x/under', 'w').write('u')
assert libc.mount(b'none', b'/mnt/moat-x', b'tmpfs', 0, None) == 0
assert os.listdir('/mnt/moat-x') == []
open('/mnt/moat-x/on-tmpfs', 'w').write('t')
assert libc.mount(b'/etc', b'/mnt/moat-x', None, 4096, None) == 0
assert os.path.exists('/mnt/moat-x/passwd')
assert ' /mnt/moat-x tmpfs ' in open('/proc/self/mounts').read()
assert libc.umount2(b'/mnt/moat-x', 0) == 0
assert os.listdir('/mnt/moat-x') == ['on-tmpfs']
assert libc.umount2(b'/mnt/moat-x', 0) == 0
assert os.listdir('/mnt/moat-x') == ['under']
assert libc.umount2(b'/mnt/moat-x', 0) == -1 and ctypes.get_errno() == 22
assert libc.mount(b'none', b'/mnt/moat-x', b'ext4', 0, None) == -1 and ctypes.get_errno() == 19
print('ok')"
		if [ -e /mnt/moat-x ]; then
			fail "$label" fs/mount-host-unchanged "/mnt/moat-x appeared on the host"
		else
			pass "$label" fs/mount-host-unchanged
		fi

		R=$TMP/root
		rm -rf "$R" && mkdir -p "$R/bin" "$R/etc" "$R/sub/dir"
		cp /bin/busybox "$R/bin/" && echo inside >"$R/etc/marker"
		ln -s /etc/passwd "$R/abs-link"
		ln -s ../../../../../../../etc/passwd "$R/sub/dir/rel-link"
		bb=(/bin/busybox)
		cli_check root-inside 0 '^inside$' "$moat" run --root "$R" -- "${bb[@]}" cat /etc/marker
		cli_check root-no-host-file 1 'No such file' "$moat" run --root "$R" -- "${bb[@]}" cat /etc/passwd
		cli_check root-dotdot 1 'No such file' "$moat" run --root "$R" -- "${bb[@]}" cat /../../../etc/passwd
		cli_check root-abs-symlink 1 'No such file' "$moat" run --root "$R" -- "${bb[@]}" cat /abs-link
		cli_check root-rel-symlink 1 'No such file' "$moat" run --root "$R" -- "${bb[@]}" cat /sub/dir/rel-link
		cli_check root-proc-root 0 '^/$' "$moat" run --root "$R" -- "${bb[@]}" readlink /proc/self/root
		cli_check root-proc-root-walk 1 'No such file' "$moat" run --root "$R" -- "${bb[@]}" cat /proc/self/root/../../etc/passwd
		cli_check root-proc-cwd 0 '^inside$' "$moat" run --root "$R" -- "${bb[@]}" cat /proc/self/cwd/../../../etc/marker
		cli_check root-overlay-write 0 '' "$moat" run --root "$R" -- "${bb[@]}" touch /etc/new-file
		if [ -e "$R/etc/new-file" ]; then
			fail "$label" fs/root-overlay-unchanged "a sandbox write reached --root's directory"
		else
			pass "$label" fs/root-overlay-unchanged
		fi
		cli_check rw-writes-through 0 '' "$moat" run --root "$R" --rw -- "${bb[@]}" touch /etc/rw-file
		if [ -e "$R/etc/rw-file" ]; then
			pass "$label" fs/rw-reached-host
		else
			fail "$label" fs/rw-reached-host "--rw did not write through"
		fi
		mkdir -p "$TMP/bind" && echo bound >"$TMP/bind/file"
		cli_check mount-bind 0 '^bound$' "$moat" run --mount "$TMP/bind:/mnt/bind" -- "${bb[@]}" cat /mnt/bind/file
		cli_check mount-bind-ro 1 'Read-only' "$moat" run --mount "$TMP/bind:/mnt/bind:ro" -- "${bb[@]}" touch /mnt/bind/x
		cli_check mount-bind-rw 0 '' "$moat" run --mount "$TMP/bind:/mnt/bind" -- "${bb[@]}" touch /mnt/bind/rw
		if [ -e "$TMP/bind/rw" ]; then
			pass "$label" fs/mount-rw-reached-host
		else
			fail "$label" fs/mount-rw-reached-host "--mount HOST:DIR did not write through"
		fi
		# MAP_SHARED of a writable host file: coherent with read and write
		# inside, written back to the host by munmap.
		rm -f "$TMP/bind/mapped"
		cli_check mount-shared-mmap 0 '^ok$' "$moat" run --mount "$TMP/bind:/mnt/bind" -- /usr/bin/python3 -c "
import mmap, os
fd = os.open('/mnt/bind/mapped', os.O_RDWR | os.O_CREAT, 0o644)
os.ftruncate(fd, 8192)
m = mmap.mmap(fd, 8192)
m[0:5] = b'hello'
assert os.pread(fd, 5, 0) == b'hello'
os.pwrite(fd, b'WORLD', 4096)
assert m[4096:4101] == b'WORLD'
m[10:13] = b'end'
m.close()
os.close(fd)
print('ok')"
		if [ "$(head -c 13 "$TMP/bind/mapped" 2>/dev/null | tr -d '\0')" = helloend ]; then
			pass "$label" fs/shared-mmap-written-back
		else
			fail "$label" fs/shared-mmap-written-back "mapped writes did not reach the host file"
		fi
		# ... and by the end of the sandbox when it was never unmapped
		# (moat then exits without releasing its last address space).
		cli_check mount-shared-mmap-exit 0 '' "$moat" run --mount "$TMP/bind:/mnt/bind" -- /usr/bin/python3 -c "
import mmap, os
fd = os.open('/mnt/bind/mapped', os.O_RDWR)
m = mmap.mmap(fd, 8192)
m[0:5] = b'bye!!'
os._exit(0)"
		if [ "$(head -c 5 "$TMP/bind/mapped" 2>/dev/null)" = 'bye!!' ]; then
			pass "$label" fs/shared-mmap-written-back-at-exit
		else
			fail "$label" fs/shared-mmap-written-back-at-exit "mapped writes were lost when the sandbox ended"
		fi
		rm -f "$R/etc/rw-file" "$TMP/bind/rw" "$TMP/bind/mapped"
	fi
done

# ---------------------------------------------------------- unit tests
# Unit tests (build/unit/*, from tests/unit/*.c) link the sentry's objects
# under AddressSanitizer and UBSan; they run once, not per moat binary.
for unit in "${TESTS_UNIT_DIR:-build/unit}"/*; do
	[ -x "$unit" ] || continue
	name=unit/$(basename "$unit")
	if [ -n "${TESTS_FILTER:-}" ] && ! grep -Eq -- "$TESTS_FILTER" <<<"$name"; then
		continue
	fi
	out=$(timeout "${TESTS_TIMEOUT:-60}" "$unit" 2>&1)
	st=$?
	if [ "$st" -eq 0 ]; then
		pass unit "$name"
	else
		fail unit "$name" "exit status $st: $(oneline <<<"$out" 300)"
	fi
done

echo "$npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
