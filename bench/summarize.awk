#!/usr/bin/awk -f
# Summarizes `go test -bench` output of several runs (-count N): for every
# benchmark and every metric it reported, the median over the runs and the
# spread (lowest-highest), one line per benchmark:
#
#   go test -run '^$' -bench X -count 5 . | awk -f bench/summarize.awk
function sort(a, n,   i, j, t) {
	for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
}
/^Benchmark/ {
	name = $1; sub(/-[0-9]+$/, "", name)
	if (!(name in seen)) { seen[name] = 1; names[++nn] = name }
	for (i = 3; i < NF; i += 2) {
		key = name SUBSEP $(i+1)
		if (!(key in count)) { units[name] = units[name] " " $(i+1) }
		vals[key, ++count[key]] = $i
	}
}
END {
	for (k = 1; k <= nn; k++) {
		name = names[k]
		printf "%s\n", name
		split(substr(units[name], 2), us, " ")
		for (u = 1; u in us; u++) {
			key = name SUBSEP us[u]; n = count[key]
			delete a
			for (i = 1; i <= n; i++) a[i] = vals[key, i] + 0
			sort(a, n)
			med = n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
			printf "  %-14s %10.4g  (%g-%g, %d runs)\n", us[u], med, a[1], a[n], n
		}
	}
}
