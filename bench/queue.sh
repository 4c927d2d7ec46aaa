#!/usr/bin/env bash
# Benchmarks of distributed bulk runs on Redis (issue 13), each compared with
# its baseline in the same run, five runs by default, printed as the median
# and the spread (lowest-highest) of every figure:
#   - BenchmarkQueueKill: 2,000 files, three l3 workers, one killed with
#     SIGKILL once a third arrived: items lost, files PUT twice, resources
#     created twice through POST with idempotency keys;
#   - BenchmarkQueueOutage: 2,000 files, three workers, Redis stopped for 5 s
#     once a third arrived: items lost, files sent twice, extra wall time
#     beside the same run without an outage;
#   - BenchmarkQueueScale: 2,000 x 64 KiB PUT to nginx, 12 at a time in all:
#     a local `l3 upload`, one worker of a run, three workers of 4;
#   - BenchmarkWorkOverhead(Nginx): the same comparison inside one process
#     (Client.UploadAll vs Run.Work), against a no-op server and nginx;
#   - BenchmarkRunMemory: bytes per item in Redis (MEMORY USAGE).
# Needs redis-server and nginx. Usage: bench/queue.sh [COUNT]
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-5}
out=$(mktemp)
trap 'rm -f "$out" "$out".cmd "$out".lib' EXIT

uptime | sed 's/^/# /' | tee -a "$out"
go test -c -o "$out.cmd" ./cmd/l3
go test -c -o "$out.lib" ./l3redis
for _ in $(seq "$count"); do
  (cd cmd/l3 && "$out.cmd" -test.run '^$' -test.bench 'BenchmarkQueue' -test.benchtime 1x) | tee -a "$out"
  (cd l3redis && "$out.lib" -test.run '^$' -test.bench 'BenchmarkWorkOverhead' -test.benchtime 5x) | tee -a "$out"
done
(cd l3redis && "$out.lib" -test.run '^$' -test.bench 'BenchmarkRunMemory' -test.benchtime 1x) | tee -a "$out"
uptime | sed 's/^/# /' | tee -a "$out"

# Median and spread of every reported figure, per benchmark.
echo
echo "benchmark | figure | median | spread (runs)"
awk '
function sortn(a, n,   i, j, t) { for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t } }
/^Benchmark/ {
	name = $1; sub(/-[0-9]+$/, "", name)
	for (i = 3; i < NF; i += 2) {
		key = name " | " $(i + 1)
		if (!(key in vals)) order[++nkeys] = key
		vals[key] = vals[key] " " $i
	}
}
END {
	for (k = 1; k <= nkeys; k++) {
		key = order[k]
		n = split(substr(vals[key], 2), a, " ")
		sortn(a, n)
		med = n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
		printf "%s | %.4g | %.4g-%.4g (%d)\n", key, med, a[1], a[n], n
	}
}' "$out"
