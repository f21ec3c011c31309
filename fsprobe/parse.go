package fsprobe

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// ParseNames parses a comma-separated list of names with parse, or
// "all" for every one of all; a name given twice counts once.
func ParseNames[T interface {
	comparable
	fmt.Stringer
}](s string, parse func(string) (T, error), all []T) ([]T, error) {
	var out []T
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		if name == "all" {
			return all, nil
		}
		v, err := parse(name)
		if err != nil {
			names := make([]string, len(all))
			for i, a := range all {
				names[i] = a.String()
			}
			return nil, fmt.Errorf("unknown name %q (want %s or all)", name, strings.Join(names, ", "))
		}
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out, nil
}

// ParseWriters parses a comma-separated list of writer counts, each 1 to
// MaxWriters, as Config.Writers; a count given twice counts once.
func ParseWriters(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		w, err := strconv.Atoi(f)
		if err != nil || w < 1 || w > MaxWriters {
			return nil, fmt.Errorf("%q is not a writer count from 1 to %d", f, MaxWriters)
		}
		if !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	return out, nil
}
