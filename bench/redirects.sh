#!/usr/bin/env bash
# Compares how many requests `l3 get` and `curl -L` send for N calls to a 308
# Permanent Redirect alias of the fake server (`l3 serve`), in the same run.
# curl follows the 308 on every call (2 requests each); l3 remembers it in its
# cache file, so every call after the first is 1 request. The counts come from
# the clients: curl's %{num_redirects}, l3's -v log ("level3: redirect" lines
# with remembered=false are requests sent to the alias).
#
#   bench/redirects.sh [N]      (default N=20; needs curl)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20}
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"' EXIT

go build -o "$work/l3" ./cmd/l3
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$work/l3" serve --addr "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/" >/dev/null && break; sleep 0.1; done
alias="http://127.0.0.1:$port/old-orders"

curl_redirects=0
start=$(date +%s.%N)
for _ in $(seq "$n"); do
	r=$(curl -fsL -o /dev/null -w '%{num_redirects}' "$alias")
	curl_redirects=$((curl_redirects + r))
done
curl_time=$(echo "$(date +%s.%N) - $start" | bc)

export L3_CACHE_DIR="$work/cache"
l3_live=0
start=$(date +%s.%N)
for _ in $(seq "$n"); do
	live=$("$work/l3" get -v "$alias" 2>&1 >/dev/null | grep -c 'level3: redirect".*remembered=false' || true)
	l3_live=$((l3_live + live))
done
l3_time=$(echo "$(date +%s.%N) - $start" | bc)

printf '%d calls to a 308 alias\n' "$n"
printf '  curl -L : %3d requests (%d to the alias)   %.2fs\n' $((n + curl_redirects)) "$curl_redirects" "$curl_time"
printf '  l3 get  : %3d requests (%d to the alias)   %.2fs\n' $((n + l3_live)) "$l3_live" "$l3_time"
printf '  requests ratio l3/curl: %.2f\n' "$(echo "($n + $l3_live) / ($n + $curl_redirects)" | bc -l)"
