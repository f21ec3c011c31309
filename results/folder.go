package results

import (
	"cmp"
	"os"
	"slices"
	"strconv"
	"strings"
)

// Written lists what a result folder holds, in the order a summary names
// it: the folder's document (result.json, sweep.json, probe.json), then
// report.html, then the rest in natural order (fsync-2.hlog before
// fsync-10.hlog), folders with a trailing /. Names that start with a dot
// are zkbench's bookkeeping, not results, and are left out.
func Written(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		n := e.Name()
		if strings.HasPrefix(n, ".") {
			continue
		}
		if e.IsDir() {
			n += "/"
		}
		names = append(names, n)
	}
	slices.SortFunc(names, func(a, b string) int {
		return cmp.Or(cmp.Compare(rank(a), rank(b)), naturalCompare(a, b))
	})
	return names, nil
}

// rank puts the documents first, then the report, then everything else.
func rank(name string) int {
	switch name {
	case ResultFile, SweepFile, ProbeFile, CapacityFile:
		return 0
	case "report.html":
		return 1
	}
	return 2
}

// naturalCompare orders names by their text, but runs of digits by their
// value.
func naturalCompare(a, b string) int {
	for a != "" && b != "" {
		na, ra := leadingDigits(a)
		nb, rb := leadingDigits(b)
		if na != "" && nb != "" {
			x, _ := strconv.ParseUint(na, 10, 64)
			y, _ := strconv.ParseUint(nb, 10, 64)
			if c := cmp.Compare(x, y); c != 0 {
				return c
			}
			a, b = ra, rb
			continue
		}
		if c := cmp.Compare(a[0], b[0]); c != 0 {
			return c
		}
		a, b = a[1:], b[1:]
	}
	return cmp.Compare(len(a), len(b))
}

func leadingDigits(s string) (digits, rest string) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i], s[i:]
}
