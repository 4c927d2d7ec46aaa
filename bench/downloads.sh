#!/usr/bin/env bash
# Download benchmarks of bench/README.md, against real nginx (and Apache for
# the throttled case) on loopback, over each transport (http/1.1, https/1.1,
# https/h2, with a CA made for the run), each with its baselines in the same
# run: curl (--http1.1 or --http2, --cacert) and a tuned net/http copy. Needs
# nginx, apache2, curl and GNU time; takes about 20 minutes and 5 GiB of free
# disk space (the 4 GiB downloads go to a temp dir). Every benchmark runs
# L3_BENCH_COUNT times (default 5); the summary gives each figure's median
# and spread (lowest-highest) over the runs.
#
#   bench/downloads.sh                 # everything
#   bench/downloads.sh throughput      # one of: throughput cli throttled connections rss
#
# Environment: L3_BENCH_MIB overrides each benchmark's file size;
# L3_BENCH_ITER the rounds of the throughput benchmark per run (default 5).
set -euo pipefail
cd "$(dirname "$0")/.."

what=${1:-all}
count=${L3_BENCH_COUNT:-5}
out=$(mktemp)
trap 'rm -f "$out" "$out.test"' EXIT
go test -c -o "$out.test" .
run() {
	"$out.test" -test.run '^$' -test.bench "$1" -test.benchtime "$2" -test.count "$count" -test.timeout 120m |
		grep -E '^Benchmark' | tee -a "$out"
}

if [[ $what == all || $what == throughput ]]; then
	echo "== 256 MiB to a file: Client.Download vs curl -o vs tuned net/http, per transport"
	L3_BENCH_MIB=${L3_BENCH_MIB:-256} run 'BenchmarkDownloadThroughput$' "${L3_BENCH_ITER:-5}x"
fi
if [[ $what == all || $what == cli ]]; then
	echo "== 256 MiB to a file: l3 download vs curl -o and curl -o /dev/null, with nginx's CPU, per transport"
	(cd cmd/l3 && L3_BENCH_MIB=${L3_BENCH_MIB:-256} go test -run '^$' -bench 'BenchmarkDownloadVsCurl$' \
		-benchtime "${L3_BENCH_ITER:-5}x" -count "$count" -timeout 120m) | grep -E '^Benchmark' | tee -a "$out"
fi
if [[ $what == all || $what == throttled ]]; then
	echo "== /slow/ (about 1 MiB/s per response), 16 MiB: 4 connections vs 1, per server and transport"
	L3_BENCH_MIB=${L3_BENCH_MIB:-16} run 'BenchmarkDownloadThrottled$' 1x
fi
if [[ $what == all || $what == connections ]]; then
	echo "== 64 MiB, 4 connections, 3 cuts: bytes served beyond the file, connections (mocks, each transport)"
	L3_BENCH_MIB=${L3_BENCH_MIB:-64} run 'BenchmarkDownloadOverFetch$' 5x
	echo "== 16 MiB through a link limiting each TCP connection to 4 MiB/s: 4 connections vs 1 (each transport)"
	L3_BENCH_MIB=${L3_BENCH_MIB:-16} run 'BenchmarkDownloadSlowLink$' 5x
fi
if [[ $what == all || $what == rss ]]; then
	echo "== Peak RSS of 'l3 download' (one connection and four) and of curl, 4 GiB, per transport"
	L3_BENCH_MIB=${L3_BENCH_MIB:-4096} run 'BenchmarkDownloadPeakRSS$' 1x
fi
echo
echo "== Summary: median (lowest-highest) over $count runs"
awk -f bench/summarize.awk "$out"
