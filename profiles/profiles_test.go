package profiles

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"zkbench/results/compare"
)

func TestBuiltinsParseAndSayWhatTheyAnswer(t *testing.T) {
	want := []string{"calibrate", "datalogdir-split", "failover", "large-tree", "nightly", "prealloc-sweep", "quick", "read-heavy",
		"slow-follower", "snapcount-sweep", "snapshot-stall", "ssd-vs-hdd", "write-heavy"}
	if got := Names(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("built-ins %v, want %v", got, want)
	}
	for _, n := range want {
		p, err := Builtin(n)
		if err != nil {
			t.Fatal(err)
		}
		if p.Summary() == "" || len(p.Settings) == 0 {
			t.Errorf("%s: no doc or no settings", n)
		}
		if s := p.Summary(); !strings.ContainsAny(s[len(s)-1:], ".?!") {
			t.Errorf("%s: summary %q stops mid-sentence", n, s)
		}
	}
	if p, _ := Builtin("slow-follower"); len(p.Vary) != 1 || p.Vary[0].Key != "faults" || len(p.Vary[0].Values) != 2 {
		t.Errorf("slow-follower vary %+v", p.Vary)
	}
	p, _ := Builtin("prealloc-sweep")
	if len(p.Vary) != 1 || p.Vary[0].Key != "preallocMode" || len(p.Vary[0].Values) != 3 {
		t.Errorf("prealloc-sweep vary %+v", p.Vary)
	}
}

// The repeated profiles run enough repeats to detect a 10% change of
// throughput at the run-to-run noise docs/noise.md records for them: a
// profile whose repeat falls short would make every comparison of its
// runs inconclusive.
func TestRepeatsDetectTenPercent(t *testing.T) {
	file, err := os.ReadFile("../docs/noise.md")
	if err != nil {
		t.Fatal(err)
	}
	// The counts rest on the machine to itself; the figures with
	// neighbours are there to show what they cost.
	doc, _, _ := strings.Cut(string(file), "### With neighbours")
	_, doc, ok := strings.Cut(doc, "### Nothing else running")
	if !ok {
		t.Fatal(`docs/noise.md: no "### Nothing else running" section before "### With neighbours"`)
	}
	// | nightly | 8 × 20 s | throughput | 11.5% | 22 |
	row := regexp.MustCompile(`(?m)^\| ([a-z-]+) \| [^|]+ \| throughput \| ([0-9.]+)% \| ([0-9]+) \|$`)
	measured := map[string]bool{}
	for _, m := range row.FindAllStringSubmatch(doc, -1) {
		p, err := Builtin(m[1])
		if err != nil {
			t.Fatalf("docs/noise.md: %v", err)
		}
		noise, _ := strconv.ParseFloat(m[2], 64)
		need := compare.RunsNeeded(noise/100, 0.10)
		if p.Repeat < need || m[3] != strconv.Itoa(need) {
			t.Errorf("%s: repeat %d, docs/noise.md says %s; noise ±%s%% needs %d", m[1], p.Repeat, m[3], m[2], need)
		}
		measured[m[1]] = true
	}
	for _, n := range []string{"nightly", "ssd-vs-hdd"} {
		if !measured[n] {
			t.Errorf("docs/noise.md has no throughput noise of %s", n)
		}
	}
}

func TestParseErrorsNameTheLine(t *testing.T) {
	cases := map[string]string{
		"clients 16\n":           "x.profile:1",
		"# doc\n\nvary a = 1,,2": "x.profile:3: empty value in vary a",
		"repeat = 0\n":           "x.profile:1: repeat",
		"bad key = 1\n":          "x.profile:1: bad key",
	}
	for in, want := range cases {
		_, err := Parse("x", "x.profile", strings.NewReader(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", in, err, want)
		}
	}
}

func TestLoad(t *testing.T) {
	if _, err := Load("nope"); err == nil || !strings.Contains(err.Error(), "quick") {
		t.Errorf("unknown profile: %v", err)
	}
	f := filepath.Join(t.TempDir(), "mine.profile")
	os.WriteFile(f, []byte("# mine\nclients = 3\n"), 0o644)
	p, err := Load(f)
	if err != nil || p.Name != "mine" || p.Settings[0] != (Setting{"clients", "3", f + ":2"}) {
		t.Errorf("%+v %v", p, err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.profile")); err == nil {
		t.Error("missing file loaded")
	}
}

func TestSummary(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{"A short run: does this machine work,\nand how fast is it? The default.", "A short run: does this machine work, and how fast is it?"},
		{"The nightly run: a fixed mix, repeated so that\n`zkbench compare` can test it.\n\nMore.", "The nightly run: a fixed mix, repeated so that `zkbench compare` can test it."},
		{"Reads at 0.9 of the ops\nscale well!", "Reads at 0.9 of the ops scale well!"},
		{"No full stop\nat all", "No full stop at all"},
		{"First paragraph\n\nsecond one.", "First paragraph"},
		{"", ""},
	} {
		p := &Profile{Doc: tc.doc}
		if got := p.Summary(); got != tc.want {
			t.Errorf("Summary of %q = %q, want %q", tc.doc, got, tc.want)
		}
	}
}
