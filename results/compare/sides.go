package compare

import (
	"fmt"
	"path/filepath"

	"zkbench/results"
)

// LoadSweepSides reads a sweep of exactly two combinations (one varied key
// with two values, say dataDir=/mnt/ssd,/mnt/hdd) as the two sides of a
// comparison: the first combination is the baseline, the second the
// candidate, each with its repeats. A sweep interleaves its repeats, so
// the two sides saw the same drift of the machine, which two separate
// sweeps would not.
func LoadSweepSides(dir string) (base, cand *Runs, err error) {
	index := filepath.Join(dir, results.SweepFile)
	s, err := results.ReadSweep(index)
	if err != nil {
		return nil, nil, err
	}
	var sides []*Runs
	byLabel := map[string]*Runs{}
	for _, r := range s.Runs {
		label := s.Label(results.SweepRun{Values: r.Values})
		side := byLabel[label]
		if side == nil {
			side = &Runs{Path: filepath.Join(dir, label), sweep: s, varied: s.Vary}
			byLabel[label] = side
			sides = append(sides, side)
		}
		f := filepath.Join(dir, r.Dir, results.ResultFile)
		res, err := results.ReadFile(f)
		if err != nil {
			return nil, nil, err
		}
		side.Files = append(side.Files, f)
		side.results = append(side.results, res)
	}
	if len(sides) != 2 {
		return nil, nil, fmt.Errorf("%s: a sweep of %d combinations; comparing one sweep needs two", index, len(sides))
	}
	return sides[0], sides[1], nil
}
