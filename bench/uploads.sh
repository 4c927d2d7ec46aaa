#!/usr/bin/env bash
# Upload benchmarks, each compared with its baselines in the same run,
# printed as ratios:
#   - BenchmarkUploadVsCurlParallel (cmd/l3): 1,000 x 64 KiB files, 8 at a
#     time, PUT to nginx's WebDAV location by `l3 upload --put` and by curl's
#     own parallel mode (`curl -Z --parallel-max 8 -K LIST`), over http/1.1,
#     https/1.1 and https/h2: wall and CPU time of each process, and their
#     ratios (run COUNT times, summarized as median and spread);
#   - BenchmarkBulkUpload: 1,000 x 64 KiB files, 8 at a time, PUT to nginx's
#     WebDAV location, by level3's UploadAll, by a plain net/http loop with 8
#     workers, and by `xargs -P8 curl -T` (needs nginx and curl);
#   - BenchmarkPutSparseRSS: peak RSS of `l3 put` and of `curl -T` uploading
#     a 4 GiB sparse file (Linux).
# Usage: bench/uploads.sh [COUNT]   (default 5 runs of the bulk benchmark)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-5}
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# One run per go test, so that the three ways alternate and a slow spell of
# the (shared) machine does not fall on one of them only.
go test -c -o "$out.test" .
for _ in $(seq "$count"); do
  "$out.test" -test.run '^$' -test.bench 'BenchmarkBulkUpload' -test.benchtime 3x | tee -a "$out"
done
rm -f "$out.test"
go test -run '^$' -bench 'BenchmarkPutSparseRSS' -benchtime 1x -count 1 ./cmd/l3 | tee -a "$out"
echo "== l3 upload vs curl -Z --parallel-max 8, per transport ($count runs of 5 rounds)"
go test -run '^$' -bench 'BenchmarkUploadVsCurlParallel' -benchtime 5x -count "$count" -timeout 60m ./cmd/l3 |
	grep -E '^Benchmark' | tee "$out.parallel"
echo "== Summary of l3 upload vs curl -Z: median (lowest-highest); x-wall, x-cpu below 1: l3 takes less"
awk -f bench/summarize.awk "$out.parallel"
rm -f "$out.parallel"

# Medians of ns/op per sub-benchmark, then the ratios.
awk '
function median(name) { return med(times[name]) }
function med(list,   n, i, j, t, a) {
	n = split(list, a, " ")
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
/^BenchmarkBulkUpload\// {
	split($1, p, "/"); sub(/-[0-9]+$/, "", p[2])
	times[p[2]] = times[p[2]] " " $3
	last[p[2]] = $3
	if (p[2] == "curl-xargs") { # the last of a run: the ratios within that run
		vsnet = vsnet " " sprintf("%.2f", last["net-http"] / last["level3"])
		vscurl = vscurl " " sprintf("%.2f", $3 / last["level3"])
	}
}
/^BenchmarkPutSparseRSS\// {
	split($1, p, "/"); sub(/-[0-9]+$/, "", p[2])
	for (i = 1; i <= NF; i++) {
		if ($i == "peak-MiB") rss[p[2]] = $(i - 1)
		if ($i == "MB/s") mbs[p[2]] = $(i - 1)
	}
}
END {
	l = median("level3"); h = median("net-http"); c = median("curl-xargs")
	printf "\nbulk upload, 1000 x 64 KiB, concurrency 8, nginx WebDAV (medians):\n"
	printf "  level3 UploadAll    %8.0f ms\n", l / 1e6
	printf "  net/http, 8 workers %8.0f ms   level3 speed = %.2fx net/http (aim >= 0.9x)\n", h / 1e6, h / l
	printf "  xargs -P8 curl -T   %8.0f ms   level3 speed = %.2fx curl (aim >= 3x)\n", c / 1e6, c / l
	printf "  ratios within each run: vs net/http%s (median %.2f); vs curl%s (median %.2f)\n", vsnet, med(vsnet), vscurl, med(vscurl)
	printf "\npeak RSS uploading a 4 GiB sparse file:\n"
	printf "  l3 put  %6.1f MiB (aim <= 32 MiB), %6.0f MB/s\n", rss["l3-put"], mbs["l3-put"]
	printf "  curl -T %6.1f MiB, %6.0f MB/s   l3/curl: memory %.2fx, speed %.2fx\n", rss["curl-T"], mbs["curl-T"], rss["l3-put"] / rss["curl-T"], mbs["l3-put"] / mbs["curl-T"]
}' "$out"
