#!/usr/bin/env bash
# bench/run.sh MOAT [--quick]: moat against native, in the same run, as ratios.
# BENCH_ONLY=REGEX runs the benchmarks whose names match.
#
# Each benchmark runs natively and under `MOAT run --`, interleaved
# (native, moat, native, moat, ...) to cancel drift; each cell is the median
# of the repetitions.  Ratios are moat/native (lower is better); the target
# column holds the ratio the issues ask for.  Benchmarks inform, they are not
# tests: a missed target does not fail the script, a benchmark that does not
# run does.
set -euo pipefail
cd "$(dirname "$0")/.."

moat=${1:?usage: bench/run.sh MOAT [--quick]}
reps=5
scale=1
if [ "${2:-}" = --quick ]; then reps=3; scale=0.3; fi

out=build/bench
mkdir -p "$out"
for src in bench/micro/*.c bench/tools/true_static.c bench/tools/spawn.c; do
	bin=$out/$(basename "$src" .c)
	if [ ! -x "$bin" ] || [ "$src" -nt "$bin" ]; then
		gcc -O2 -static -Ibench/micro -o "$bin" "$src" -lpthread
	fi
done
# fork_exec runs tiny (no libc: it only exits), found next to it.
if [ ! -x "$out/tiny" ] || [ bench/tools/tiny.c -nt "$out/tiny" ]; then
	gcc -O2 -static -nostdlib -fno-stack-protector -fno-pie -no-pie -o "$out/tiny" bench/tools/tiny.c
fi

iters() { awk -v n="$1" -v s="$scale" 'BEGIN { printf "%d", n * s < 1 ? 1 : n * s }'; }

# name | native command | target ratio
names=(syscall mmap_touch startup open_close stat read4k ls_usr_bin
	fork_wait fork_exec thread_create futex_pingpong pipe_pingpong signal shell_200_true
	clock epoll_ready unix_stream)
# unix_stream: "at least 0.3x native throughput" is a time ratio of 3.33.
targets=(5 3 3 6 6 5 3 5 5 5 5 5 - 4 2 5 3.33)
cmd_for() {
	case $1 in
	syscall) echo "$out/syscall $(iters 200000)" ;;
	mmap_touch) echo "$out/mmap_touch $(iters 100)" ;;
	open_close) echo "$out/open_close $(iters 20000)" ;;
	stat) echo "$out/stat $(iters 40000)" ;;
	read4k) echo "$out/read4k $(iters 50000)" ;;
	fork_wait) echo "$out/fork_wait $(iters 300)" ;;
	fork_exec) echo "$out/fork_exec $(iters 200)" ;;
	thread_create) echo "$out/thread_create $(iters 2000)" ;;
	futex_pingpong) echo "$out/futex_pingpong $(iters 10000)" ;;
	pipe_pingpong) echo "$out/pipe_pingpong $(iters 5000)" ;;
	signal) echo "$out/signal $(iters 10000)" ;;
	clock) echo "$out/clock $(iters 200000)" ;;
	epoll_ready) echo "$out/epoll_ready $(iters 50000)" ;;
	unix_stream) echo "$out/unix_stream $(iters 10000)" ;;
	esac
}

# One measurement in ns/op; "moat" as $2 runs it in the sandbox.
measure() {
	local name=$1 where=$2 line
	if [ "$name" = startup ]; then
		if [ "$where" = moat ]; then
			line=$("$out/spawn" "$(iters 200)" -- "$moat" run -- "$out/true_static")
		else
			line=$("$out/spawn" "$(iters 200)" -- "$out/true_static")
		fi
	elif [ "$name" = shell_200_true ]; then
		# dash running /bin/true 200 times; one op is the whole loop.
		if [ "$where" = moat ]; then
			line=$("$out/spawn" "$(iters 5)" -- "$moat" run -- /bin/dash bench/tools/fork200.sh)
		else
			line=$("$out/spawn" "$(iters 5)" -- /bin/dash bench/tools/fork200.sh)
		fi
	elif [ "$name" = ls_usr_bin ]; then
		# A dynamic program's whole run: `ls -la /usr/bin > /dev/null`.
		if [ "$where" = moat ]; then
			line=$("$out/spawn" "$(iters 20)" -- "$moat" run -- /bin/ls -la /usr/bin)
		else
			line=$("$out/spawn" "$(iters 20)" -- /bin/ls -la /usr/bin)
		fi
	else
		# shellcheck disable=SC2046
		if [ "$where" = moat ]; then
			line=$("$moat" run -- $(cmd_for "$name"))
		else
			line=$($(cmd_for "$name"))
		fi
	fi
	awk '{ for (i = 1; i < NF; i++) if ($(i + 1) == "ns/op") print $i }' <<<"$line"
}

median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

printf '| benchmark | native ns/op | moat ns/op | ratio | target | verdict |\n'
printf '|---|---|---|---|---|---|\n'
for i in "${!names[@]}"; do
	name=${names[i]}
	if [ -n "${BENCH_ONLY:-}" ] && ! grep -Eq -- "$BENCH_ONLY" <<<"$name"; then
		continue
	fi
	nat=() sb=()
	for ((r = 0; r < reps; r++)); do
		nat+=("$(measure "$name" native)")
		sb+=("$(measure "$name" moat)")
	done
	n=$(printf '%s\n' "${nat[@]}" | median)
	m=$(printf '%s\n' "${sb[@]}" | median)
	awk -v name="$name" -v n="$n" -v m="$m" -v t="${targets[i]}" 'BEGIN {
		r = m / n
		if (t == "-")
			printf "| %s | %.0f | %.0f | %.2f | - | - |\n", name, n, m, r
		else
			printf "| %s | %.0f | %.0f | %.2f | <= %s | %s |\n", name, n, m, r, t, r <= t ? "ok" : "over target"
	}'
done
