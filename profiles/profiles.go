// Package profiles holds zkbench's built-in run profiles, embedded in the
// binary, and reads profile files.
//
// A profile is a text file of settings, one `key = value` per line, the
// same keys `zkbench run --set` takes; `vary key = v1, v2, …` lines make
// it a sweep (`zkbench sweep` runs the cross product) and `repeat = N`
// repeats each run. Comment lines start with #; the comment block at the
// top says what question the profile answers. docs/profiles.md is the
// format's reference, with every key.
package profiles

import (
	"bufio"
	"embed"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
)

//go:embed *.profile
var builtin embed.FS

// Profile is a parsed profile.
type Profile struct {
	Name     string
	Doc      string    // the leading comment block, without the #
	Settings []Setting // in file order
	Vary     []Vary    // sweep dimensions, in file order
	Repeat   int       // runs per combination (1 unless set)
}

// Setting is one key = value line.
type Setting struct {
	Key, Value string
	Where      string // file:line, for error messages
}

// Vary is one sweep dimension.
type Vary struct {
	Key    string
	Values []string
	Where  string
}

// ErrUnknown means a name is neither a built-in profile nor a file.
var ErrUnknown = errors.New("no such profile")

// Names lists the built-in profiles.
func Names() []string {
	entries, _ := builtin.ReadDir(".")
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".profile"))
	}
	slices.Sort(names)
	return names
}

// Builtin returns a built-in profile.
func Builtin(name string) (*Profile, error) {
	f, err := builtin.Open(name + ".profile")
	if err != nil {
		return nil, fmt.Errorf("%w %q (built-in: %s)", ErrUnknown, name, strings.Join(Names(), ", "))
	}
	defer f.Close()
	return Parse(name, name+".profile", f)
}

// Load returns the built-in profile called nameOrFile, or reads the file
// of that path (anything with a path separator or a .profile suffix).
func Load(nameOrFile string) (*Profile, error) {
	if !strings.ContainsRune(nameOrFile, os.PathSeparator) && !strings.HasSuffix(nameOrFile, ".profile") {
		return Builtin(nameOrFile)
	}
	f, err := os.Open(nameOrFile)
	if err != nil {
		return nil, fmt.Errorf("profile %s: %w", nameOrFile, errors.Unwrap(err))
	}
	defer f.Close()
	return Parse(strings.TrimSuffix(path.Base(nameOrFile), ".profile"), nameOrFile, f)
}

// Parse reads a profile; file names it in errors.
func Parse(name, file string, r io.Reader) (*Profile, error) {
	p := &Profile{Name: name, Repeat: 1}
	sc := bufio.NewScanner(r)
	inDoc := true
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		where := fmt.Sprintf("%s:%d", file, n)
		if strings.HasPrefix(line, "#") {
			if inDoc {
				p.Doc += strings.TrimSpace(strings.TrimPrefix(line, "#")) + "\n"
			}
			continue
		}
		inDoc = false
		if line == "" {
			continue
		}
		if err := p.parseLine(line, where); err != nil {
			return nil, err
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	p.Doc = strings.TrimSpace(p.Doc)
	return p, nil
}

func (p *Profile) parseLine(line, where string) error {
	key, value, ok := strings.Cut(line, "=")
	if !ok {
		return fmt.Errorf("%s: %q is not key = value", where, line)
	}
	key, value = strings.TrimSpace(key), strings.TrimSpace(value)
	if vk, isVary := strings.CutPrefix(key, "vary "); isVary {
		vk = strings.TrimSpace(vk)
		var vals []string
		for _, v := range strings.Split(value, ",") {
			if v = strings.TrimSpace(v); v == "" {
				return fmt.Errorf("%s: empty value in vary %s", where, vk)
			}
			vals = append(vals, v)
		}
		p.Vary = append(p.Vary, Vary{Key: vk, Values: vals, Where: where})
		return nil
	}
	if key == "" || strings.ContainsAny(key, " \t") {
		return fmt.Errorf("%s: bad key %q", where, key)
	}
	if key == "repeat" {
		n, err := strconv.Atoi(value)
		if err != nil || n < 1 {
			return fmt.Errorf("%s: repeat %q: want a count >= 1", where, value)
		}
		p.Repeat = n
		return nil
	}
	p.Settings = append(p.Settings, Setting{Key: key, Value: value, Where: where})
	return nil
}

// Summary is the first sentence of the profile's doc, whole: the doc's
// lines are wrapped for a file, not cut where a sentence ends.
func (p *Profile) Summary() string {
	para, _, _ := strings.Cut(p.Doc, "\n\n")
	text := strings.Join(strings.Fields(para), " ")
	for i := 0; i < len(text); i++ {
		end := i+1 == len(text) || text[i+1] == ' '
		if strings.IndexByte(".?!", text[i]) >= 0 && end {
			return text[:i+1]
		}
	}
	return text
}

// List writes every built-in profile, a line each: its name, whether it
// is a run or a sweep, and its summary.
func List(w io.Writer) error {
	for _, n := range Names() {
		p, err := Builtin(n)
		if err != nil {
			return err
		}
		kind := "run"
		if len(p.Vary) > 0 {
			kind = "sweep"
		}
		fmt.Fprintf(w, "%-18s %-5s %s\n", n, kind, p.Summary())
	}
	return nil
}
