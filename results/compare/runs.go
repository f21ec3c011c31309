package compare

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"zkbench/results"
)

// Runs are one side of a comparison: the repeated runs found at a path.
type Runs struct {
	// Path is the path as given.
	Path string
	// Files are the runs' result.json files, in folder-name order.
	Files   []string
	results []*results.Result
	// sweep is the index the runs came from, if a sweep's; varied are
	// the keys it varied between the two sides of LoadSweepSides.
	sweep  *results.Sweep
	varied []string
}

// Load reads the runs at path, which is one of
//
//	a result.json file, or a run folder holding one   one run
//	a sweep folder (sweep.json)                       its runs; one combination only
//	a folder whose subfolders hold result.json        one run per subfolder
//	a capacity.json, a capacity folder, or a folder   one search each, its
//	  of them                                          maximum the metric max_rate
func Load(path string) (*Runs, error) {
	read := results.ReadFile
	files, sweep, err := resultFiles(path)
	if fi, serr := os.Stat(path); serr == nil {
		if cf, ok := capacityFiles(path, fi.IsDir()); ok {
			files, sweep, err, read = cf, nil, nil, capacityRun
		}
	}
	if err != nil {
		return nil, err
	}
	rs := &Runs{Path: path, Files: files, sweep: sweep}
	for _, f := range files {
		r, err := read(f) // its errors name the file
		if err != nil {
			return nil, err
		}
		rs.results = append(rs.results, r)
	}
	return rs, nil
}

// Results are the runs' result.json, in the order of Files.
func (rs *Runs) Results() []*results.Result { return rs.results }

// resultFiles lists the result.json files at path, with the sweep index
// they came from, if any.
func resultFiles(path string) ([]string, *results.Sweep, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("%s: no such file or folder", path)
	}
	if err != nil {
		return nil, nil, err
	}
	if !fi.IsDir() {
		return []string{path}, nil, nil
	}
	if f := filepath.Join(path, results.ResultFile); isFile(f) {
		return []string{f}, nil, nil
	}
	if f := filepath.Join(path, results.SweepFile); isFile(f) {
		return sweepFiles(path, f)
	}
	files, err := subfolderFiles(path)
	return files, nil, err
}

// sweepFiles lists a sweep's runs. Runs of different combinations are
// different experiments: pooling them as repeats would make a
// meaningless sample, so such a sweep is refused.
func sweepFiles(dir, index string) ([]string, *results.Sweep, error) {
	s, err := results.ReadSweep(index)
	if err != nil {
		return nil, nil, err
	}
	var files []string
	combos := map[string]bool{}
	for _, r := range s.Runs {
		combos[s.Label(results.SweepRun{Values: r.Values})] = true
		files = append(files, filepath.Join(dir, r.Dir, results.ResultFile))
	}
	if len(combos) > 1 {
		return nil, nil, fmt.Errorf("%s: a sweep of %d combinations, not repeats of one", dir, len(combos))
	}
	if len(files) == 0 {
		return nil, nil, fmt.Errorf("%s: a sweep without runs", index)
	}
	return files, s, nil
}

// subfolderFiles lists the result.json of each subfolder of a folder of
// repeated runs; subfolders without one (logs, data) are not runs.
func subfolderFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range entries {
		if f := filepath.Join(dir, e.Name(), results.ResultFile); e.IsDir() && isFile(f) {
			files = append(files, f)
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: no %s there or in its subfolders", dir, results.ResultFile)
	}
	return files, nil
}

func isFile(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}
