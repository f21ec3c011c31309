// Package zoocfg reads a ZooKeeper zoo.cfg the way QuorumPeerConfig
// does: a java.util.Properties file (comments, `key=value`, `key: value`
// or `key value`, backslash continuations and escapes; a repeated key's
// last value wins), keys and values trimmed, and its `server.N` lines
// parsed as QuorumServer parses them, the 3.5+ `;clientPort` form and
// `:observer` included. It only reads: what a key means to a run is the
// caller's business.
package zoocfg

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
)

// File is a parsed zoo.cfg.
type File struct {
	// Name is the file's path as given, for messages.
	Name string
	// Props are its keys other than server.N, in the order of their
	// first line, each with its last value (Properties keeps the last).
	Props []Prop
	// Servers are the server.N lines, by id.
	Servers []Server
}

// Prop is one key and its value.
type Prop struct {
	Key, Value string
	Line       int // the line its value came from, from 1
}

// Server is one server.N line.
type Server struct {
	ID int64
	// Addrs are its quorum addresses (3.6+ lists several with |).
	Addrs []Addr
	// Observer: the line ends in :observer (else :participant or nothing).
	Observer bool
	// ClientHost and ClientPort are the 3.5+ `;[host:]port` part; 0 and
	// "" when the line has none (clientPort then comes from its own key).
	ClientHost string
	ClientPort int
	Line       int
}

// Addr is one quorum address of a server: host, quorum and election port.
type Addr struct {
	Host                     string
	QuorumPort, ElectionPort int
}

// Error is a bad line: the file, the line and what is wrong with it.
type Error struct {
	File string
	Line int // 0: the file as a whole
	Err  error
}

func (e *Error) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %v", e.File, e.Err)
	}
	return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// ErrSyntax is wrapped by every error about a line's content, as
// opposed to the file's (missing, unreadable).
var ErrSyntax = errors.New("malformed")

// Load reads and parses the file at path.
func Load(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &Error{File: path, Err: unwrapPath(err)}
	}
	defer f.Close()
	return Parse(path, f)
}

// unwrapPath drops the *PathError's own copy of the path: Error names it.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Op, pe.Err)
	}
	return err
}

// Lookup returns key's property, if the file has it.
func (f *File) Lookup(key string) (Prop, bool) {
	i := slices.IndexFunc(f.Props, func(p Prop) bool { return p.Key == key })
	if i < 0 {
		return Prop{}, false
	}
	return f.Props[i], true
}

// Voters counts the server lines of participants.
func (f *File) Voters() int { return len(f.Servers) - f.Observers() }

// Observers counts the server lines ending in :observer.
func (f *File) Observers() int {
	return countFunc(f.Servers, func(s Server) bool { return s.Observer })
}

func countFunc[T any](s []T, f func(T) bool) int {
	n := 0
	for _, x := range s {
		if f(x) {
			n++
		}
	}
	return n
}

// Parse reads a zoo.cfg from r; name is what errors call it.
func Parse(name string, r io.Reader) (*File, error) {
	f := &File{Name: name}
	err := readProperties(r, func(key, value string, line int) error {
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		if strings.HasPrefix(key, "server.") {
			return f.addServer(key, value, line)
		}
		if i := slices.IndexFunc(f.Props, func(p Prop) bool { return p.Key == key }); i >= 0 {
			f.Props[i].Value, f.Props[i].Line = value, line
			return nil
		}
		f.Props = append(f.Props, Prop{Key: key, Value: value, Line: line})
		return nil
	})
	if err != nil {
		var le *lineError
		if errors.As(err, &le) {
			return nil, &Error{File: name, Line: le.line, Err: le.err}
		}
		return nil, &Error{File: name, Err: unwrapPath(err)}
	}
	slices.SortFunc(f.Servers, func(a, b Server) int { return cmp.Compare(a.ID, b.ID) })
	return f, nil
}

type lineError struct {
	line int
	err  error
}

func (e *lineError) Error() string { return fmt.Sprintf("line %d: %v", e.line, e.err) }

func syntaxf(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrSyntax}, a...)...)
}

// addServer parses server.N=host:port:port[:type][;[clientHost:]clientPort]
// as QuorumPeerConfig and QuorumServer do. A repeated id replaces the
// earlier line, as Properties would.
func (f *File) addServer(key, value string, line int) error {
	id, err := strconv.ParseInt(strings.TrimPrefix(key, "server."), 10, 64)
	if err != nil || id < 0 {
		return &lineError{line, syntaxf("%s: the server id must be a number", key)}
	}
	s, err := parseServer(value)
	if err != nil {
		return &lineError{line, syntaxf("%s=%s: %v", key, value, err)}
	}
	s.ID, s.Line = id, line
	f.Servers = slices.DeleteFunc(f.Servers, func(o Server) bool { return o.ID == id })
	f.Servers = append(f.Servers, s)
	return nil
}

func parseServer(v string) (Server, error) {
	var s Server
	parts := strings.Split(v, ";")
	if len(parts) > 2 {
		return s, errors.New("more than one ';'")
	}
	if len(parts) == 2 {
		host, port, err := clientAddr(parts[1])
		if err != nil {
			return s, err
		}
		s.ClientHost, s.ClientPort = host, port
	}
	for i, a := range strings.Split(parts[0], "|") {
		fields, err := splitHost(a)
		if err != nil {
			return s, err
		}
		if len(fields) < 3 || len(fields) > 4 {
			return s, errors.New("want host:port:port[:participant|:observer][;[host:]clientPort]")
		}
		addr := Addr{Host: fields[0]}
		if addr.QuorumPort, err = port(fields[1]); err != nil {
			return s, err
		}
		if addr.ElectionPort, err = port(fields[2]); err != nil {
			return s, err
		}
		if len(fields) == 4 {
			switch strings.ToLower(fields[3]) {
			case "observer":
				s.Observer = i == 0 || s.Observer
			case "participant":
			default:
				return s, fmt.Errorf("unknown peer type %q", fields[3])
			}
		}
		s.Addrs = append(s.Addrs, addr)
	}
	return s, nil
}

// clientAddr parses the part after ';': a port, or host:port.
func clientAddr(v string) (string, int, error) {
	fields, err := splitHost(v)
	if err != nil {
		return "", 0, err
	}
	switch len(fields) {
	case 1:
		p, err := port(fields[0])
		return "", p, err
	case 2:
		p, err := port(fields[1])
		return fields[0], p, err
	}
	return "", 0, fmt.Errorf("client address %q: want [host:]port", v)
}

// splitHost splits on ':' keeping a leading [IPv6] host whole, as
// ConfigUtils.getHostAndPort does.
func splitHost(v string) ([]string, error) {
	v = strings.TrimSpace(v)
	if !strings.HasPrefix(v, "[") {
		return strings.Split(v, ":"), nil
	}
	end := strings.Index(v, "]")
	if end < 0 {
		return nil, fmt.Errorf("%q: '[' without ']'", v)
	}
	host, rest := v[1:end], v[end+1:]
	if rest == "" {
		return []string{host}, nil
	}
	if rest[0] != ':' {
		return nil, fmt.Errorf("%q: want ':' after ']'", v)
	}
	return append([]string{host}, strings.Split(rest[1:], ":")...), nil
}

func port(v string) (int, error) {
	p, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || p < 0 || p > 65535 {
		return 0, fmt.Errorf("port %q: want 0..65535", v)
	}
	return p, nil
}

// readProperties calls kv for each key and value of a
// java.util.Properties text, with the line the entry began on.
func readProperties(r io.Reader, kv func(key, value string, line int) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	n, start := 0, 0
	var logical strings.Builder
	for sc.Scan() {
		n++
		line := sc.Text()
		if logical.Len() == 0 {
			line = strings.TrimLeft(line, " \t\f")
			if line == "" || line[0] == '#' || line[0] == '!' {
				continue
			}
			start = n
		} else {
			line = strings.TrimLeft(line, " \t\f") // a continuation's leading blanks go
		}
		if continued(line) {
			logical.WriteString(line[:len(line)-1])
			continue
		}
		logical.WriteString(line)
		key, value, err := splitEntry(logical.String())
		logical.Reset()
		if err != nil {
			return &lineError{start, err}
		}
		if err := kv(key, value, start); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return &lineError{n + 1, syntaxf("line longer than 1 MiB")}
		}
		return err
	}
	if logical.Len() > 0 {
		key, value, err := splitEntry(logical.String())
		if err != nil {
			return &lineError{start, err}
		}
		return kv(key, value, start)
	}
	return nil
}

// continued: the line ends in an odd number of backslashes.
func continued(line string) bool {
	n := 0
	for i := len(line) - 1; i >= 0 && line[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

// splitEntry splits a logical line at its first unescaped '=', ':' or
// blank (blanks around it belong to the separator) and unescapes both
// sides, as Properties.load does.
func splitEntry(s string) (key, value string, err error) {
	i := 0
	for ; i < len(s); i++ {
		if s[i] == '\\' {
			i++
			continue
		}
		if s[i] == '=' || s[i] == ':' || s[i] == ' ' || s[i] == '\t' || s[i] == '\f' {
			break
		}
	}
	k := s[:min(i, len(s))]
	rest := strings.TrimLeft(s[min(i, len(s)):], " \t\f")
	if i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\f') && rest != "" && (rest[0] == '=' || rest[0] == ':') {
		rest = strings.TrimLeft(rest[1:], " \t\f")
	} else if i < len(s) && (s[i] == '=' || s[i] == ':') {
		rest = strings.TrimLeft(s[i+1:], " \t\f")
	}
	if key, err = unescape(k); err != nil {
		return "", "", err
	}
	value, err = unescape(rest)
	return key, value, err
}

// unescape resolves Properties' escapes: \t \n \r \f, \uXXXX, and a
// backslash before anything else standing for that character.
func unescape(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			if c != '\\' {
				b.WriteByte(c)
			}
			continue
		}
		i++
		switch s[i] {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'f':
			b.WriteByte('\f')
		case 'u':
			if i+4 >= len(s) {
				return "", syntaxf(`\u escape needs four hex digits`)
			}
			r, err := strconv.ParseUint(s[i+1:i+5], 16, 16)
			if err != nil {
				return "", syntaxf(`\u%s: not four hex digits`, s[i+1:i+5])
			}
			b.WriteRune(rune(r))
			i += 4
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String(), nil
}
