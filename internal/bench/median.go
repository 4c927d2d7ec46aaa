// This file holds Median, the figure every benchmark here reports of its
// rounds.

package bench

import "slices"

// Median returns the median of xs (for an even count, the mean of the two
// middle values), or 0 for none.
func Median[T ~int64 | ~float64](xs []T) T {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
