#!/usr/bin/env bash
# Download benchmarks of the README's performance table, against real nginx
# (and Apache for the throttled case) on loopback, each with its baseline in
# the same run. Needs nginx, apache2 and curl; takes a few minutes and
# about 5 GiB of free disk space (the 4 GiB download goes to a temp dir).
#
#   bench/downloads.sh                 # everything
#   bench/downloads.sh throughput      # one of: throughput throttled connections rss
#
# Environment: L3_BENCH_MIB overrides each benchmark's file size;
# L3_BENCH_ITER the iterations of the throughput benchmark (default 15).
set -euo pipefail
cd "$(dirname "$0")/.."

what=${1:-all}
run() { go test -run '^$' -bench "$1" -benchtime "$2" -timeout 60m . | grep -E '^(Benchmark|cpu|goos)'; }

if [[ $what == all || $what == throughput ]]; then
  echo "== Download to a file, 512 MiB: Client.Download vs curl -o vs tuned net/http (medians)"
  L3_BENCH_MIB=${L3_BENCH_MIB:-512} run 'BenchmarkDownloadThroughput$' "${L3_BENCH_ITER:-15}x"
fi
if [[ $what == all || $what == throttled ]]; then
  echo "== /slow/ (about 1 MiB/s per connection), 32 MiB: 4 connections vs 1"
  L3_BENCH_MIB=${L3_BENCH_MIB:-32} run 'BenchmarkDownloadThrottled$' 1x
fi
if [[ $what == all || $what == connections ]]; then
  echo "== 64 MiB, 4 connections, 3 cuts: bytes served beyond the file, connections (mocks, each transport)"
  L3_BENCH_MIB=${L3_BENCH_MIB:-64} run 'BenchmarkDownloadOverFetch$' 5x
  echo "== 16 MiB through a link limiting each TCP connection to 4 MiB/s: 4 connections vs 1 (each transport)"
  L3_BENCH_MIB=${L3_BENCH_MIB:-16} run 'BenchmarkDownloadSlowLink$' 5x
fi
if [[ $what == all || $what == rss ]]; then
  echo "== Peak RSS of 'l3 download' for a 4 GiB file (and curl's)"
  L3_BENCH_MIB=${L3_BENCH_MIB:-4096} run 'BenchmarkDownloadPeakRSS$' 1x
fi
