// Package suggest finds the known word a mistyped one most likely meant,
// for "unknown key snapcount; did you mean snapCount?".
package suggest

import (
	"strings"
	"unicode/utf8"
)

// Closest returns the word of known that word most likely meant, or ""
// when none is close. A word that differs only in case, dashes or
// underscores wins (snapcount, snap-count, SNAP_COUNT → snapCount: the
// spelling of a flag or another tool's config); after that the fewest
// edits, case aside, within a third of the word's length.
func Closest(word string, known []string) string {
	folded := fold(word)
	for _, k := range known {
		if fold(k) == folded {
			return k
		}
	}
	best, bestDist := "", utf8.RuneCountInString(folded)/3+1
	for _, k := range known {
		if d := distance(folded, fold(k)); d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}

// fold drops case, dashes and underscores.
func fold(s string) string {
	return strings.ToLower(strings.NewReplacer("-", "", "_", "").Replace(s))
}

// distance is the edit distance between a and b in runes, a swap of
// two neighbours counting as one edit (optimal string alignment).
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
