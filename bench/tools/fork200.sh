# From the shared benchmark suite (../shared/bench/macro/), unchanged.
# Forks and execs /bin/true 200 times from a dash loop (run as: dash fork200.sh).
i=0
while [ "$i" -lt 200 ]; do
	/bin/true
	i=$((i + 1))
done
