package zoocfg

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseRealisticFile(t *testing.T) {
	f, err := Load("testdata/three-servers.cfg")
	if err != nil {
		t.Fatal(err)
	}
	want := []Server{
		{ID: 1, Addrs: []Addr{{"zk1.example.com", 2888, 3888}}, Line: 18},
		{ID: 2, Addrs: []Addr{{"zk2.example.com", 2888, 3888}}, ClientPort: 2181, Line: 19},
		{ID: 3, Addrs: []Addr{{"zk3.example.com", 2888, 3888}}, ClientHost: "0.0.0.0", ClientPort: 2181, Line: 20},
	}
	if !reflect.DeepEqual(f.Servers, want) {
		t.Errorf("servers:\n got %+v\nwant %+v", f.Servers, want)
	}
	if f.Voters() != 3 || f.Observers() != 0 {
		t.Errorf("voters %d observers %d, want 3 and 0", f.Voters(), f.Observers())
	}
	for key, want := range map[string]string{
		"dataLogDir": "/var/lib/zookeeper/txlog", "snapCount": "50000", "autopurge.purgeInterval": "24",
		"4lw.commands.whitelist": "mntr, srvr, ruok, conf",
	} {
		if p, ok := f.Lookup(key); !ok || p.Value != want {
			t.Errorf("%s = %q (%v), want %q", key, p.Value, ok, want)
		}
	}
	if p, _ := f.Lookup("snapCount"); p.Line != 10 {
		t.Errorf("snapCount on line %d, want 10", p.Line)
	}
}

// TestProperties checks the java.util.Properties rules zoo.cfg is read by.
func TestProperties(t *testing.T) {
	tests := []struct {
		name, in string
		want     []Prop
	}{
		{"equals", "a=b", []Prop{{"a", "b", 1}}},
		{"colon and blanks", "  a :  b  ", []Prop{{"a", "b", 1}}},
		{"blank separator", "dataDir /var/zk", []Prop{{"dataDir", "/var/zk", 1}}},
		{"comments", "# x=y\n! z=w\n\na=1", []Prop{{"a", "1", 3 + 1}}},
		{"last wins", "a=1\nb=2\na=3", []Prop{{"a", "3", 3}, {"b", "2", 2}}},
		{"continuation", "a=one \\\n    two\nb=3", []Prop{{"a", "one two", 1}, {"b", "3", 3}}},
		{"escaped backslash ends no line", "a=c:\\\\\nb=2", []Prop{{"a", `c:\`, 1}, {"b", "2", 2}}},
		{"escapes", `a\=b=x\ty\u0041`, []Prop{{"a=b", "x\tyA", 1}}},
		{"key only", "standalone", []Prop{{"standalone", "", 1}}},
		{"separator in value", "a=b=c:d", []Prop{{"a", "b=c:d", 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse("t.cfg", strings.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(f.Props, tt.want) {
				t.Errorf("got %+v, want %+v", f.Props, tt.want)
			}
		})
	}
}

func TestServerLines(t *testing.T) {
	tests := []struct {
		line string
		want Server
	}{
		{"server.1=h:1:2", Server{ID: 1, Addrs: []Addr{{"h", 1, 2}}}},
		{"server.4=h:1:2:observer", Server{ID: 4, Addrs: []Addr{{"h", 1, 2}}, Observer: true}},
		{"server.5=h:1:2:OBSERVER;2181", Server{ID: 5, Addrs: []Addr{{"h", 1, 2}}, Observer: true, ClientPort: 2181}},
		{"server.6=[::1]:1:2;[::1]:3", Server{ID: 6, Addrs: []Addr{{"::1", 1, 2}}, ClientHost: "::1", ClientPort: 3}},
		{"server.7=a:1:2|b:3:4", Server{ID: 7, Addrs: []Addr{{"a", 1, 2}, {"b", 3, 4}}}},
	}
	for _, tt := range tests {
		f, err := Parse("t.cfg", strings.NewReader(tt.line))
		if err != nil {
			t.Errorf("%s: %v", tt.line, err)
			continue
		}
		tt.want.Line = 1
		if len(f.Servers) != 1 || !reflect.DeepEqual(f.Servers[0], tt.want) {
			t.Errorf("%s: got %+v, want %+v", tt.line, f.Servers, tt.want)
		}
	}
}

// TestBadLines: every bad line is named by file and line and is
// ErrSyntax.
func TestBadLines(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a=1\nserver.2=h:2888", "t.cfg:2: malformed: server.2=h:2888: want host:port:port[:participant|:observer][;[host:]clientPort]"},
		{"server.x=h:1:2", "t.cfg:1: malformed: server.x: the server id must be a number"},
		{"\n\nserver.1=h:1:2:witness", `t.cfg:3: malformed: server.1=h:1:2:witness: unknown peer type "witness"`},
		{"server.1=h:1:99999", `t.cfg:1: malformed: server.1=h:1:99999: port "99999": want 0..65535`},
		{"server.1=h:1:2;a:b:c", `t.cfg:1: malformed: server.1=h:1:2;a:b:c: client address "a:b:c": want [host:]port`},
		{"server.1=h:1:2;1;2", `t.cfg:1: malformed: server.1=h:1:2;1;2: more than one ';'`},
		{"server.1=[::1:1:2", `t.cfg:1: malformed: server.1=[::1:1:2: "[::1:1:2": '[' without ']'`},
		{"a=\\u00zz", `t.cfg:1: malformed: \u00zz: not four hex digits`},
		{"x=1\na=b\\\n\\u12", `t.cfg:2: malformed: \u escape needs four hex digits`},
	}
	for _, tt := range tests {
		_, err := Parse("t.cfg", strings.NewReader(tt.in))
		if err == nil || err.Error() != tt.want || !errors.Is(err, ErrSyntax) {
			t.Errorf("%q: got %v, want %s", tt.in, err, tt.want)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "none.cfg")
	if _, err := Load(missing); err == nil || err.Error() != missing+": open: no such file or directory" {
		t.Errorf("missing file: %v", err)
	}
	if _, err := Load(dir); err == nil || !strings.HasPrefix(err.Error(), dir+": ") || errors.Is(err, ErrSyntax) {
		t.Errorf("a folder: %v", err)
	}
	if os.Geteuid() != 0 {
		p := filepath.Join(dir, "secret.cfg")
		if err := os.WriteFile(p, []byte("a=1"), 0o000); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(p); err == nil || err.Error() != p+": open: permission denied" {
			t.Errorf("unreadable file: %v", err)
		}
	}
}

// FuzzParse: any input parses or fails with a file:line error; what
// parses has servers sorted by unique id and keys without blanks around.
func FuzzParse(f *testing.F) {
	b, err := os.ReadFile("testdata/three-servers.cfg")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(b))
	f.Add("server.1=[::1]:1:2:observer;[::1]:3\na \\\n b\nc\\u0041=d")
	f.Fuzz(func(t *testing.T, in string) {
		cfg, err := Parse("f.cfg", strings.NewReader(in))
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.File != "f.cfg" {
				t.Fatalf("error %v names no file", err)
			}
			return
		}
		for i, s := range cfg.Servers {
			if i > 0 && cfg.Servers[i-1].ID >= s.ID {
				t.Fatalf("servers out of order or repeated: %+v", cfg.Servers)
			}
			if len(s.Addrs) == 0 || s.Line < 1 {
				t.Fatalf("server without address or line: %+v", s)
			}
		}
		for _, p := range cfg.Props {
			if p.Key != strings.TrimSpace(p.Key) || p.Value != strings.TrimSpace(p.Value) || p.Line < 1 {
				t.Fatalf("untrimmed or unplaced property %+v", p)
			}
		}
	})
}
