package zktarget

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

// mntrTimeout bounds one mntr exchange when ctx has no deadline.
const mntrTimeout = 5 * time.Second

// Stats is one server's mntr reply: ZooKeeper's monitoring figures by
// name (zk_avg_latency, zk_server_state, …), values as the server wrote
// them.
type Stats map[string]string

// Number returns a figure as a number.
func (s Stats) Number(key string) (float64, bool) {
	v, err := strconv.ParseFloat(s[key], 64)
	return v, err == nil
}

// State is the server's role: leader, follower, observer or standalone.
func (s Stats) State() string { return s["zk_server_state"] }

// Fsync returns the numeric figures about the transaction log's syncs:
// ZooKeeper 3.8's fsynctime summary (zk_avg_fsynctime, zk_max_fsynctime,
// zk_cnt_fsynctime…, in milliseconds) and whatever else mentions fsync.
func (s Stats) Fsync() map[string]float64 { return s.matching("fsync") }

// Latency returns the numeric latency figures: the request latency
// (zk_avg_latency, zk_min_latency, zk_max_latency, in milliseconds) and
// the read, update and quorum latency summaries.
func (s Stats) Latency() map[string]float64 { return s.matching("latency") }

func (s Stats) matching(part string) map[string]float64 {
	out := map[string]float64{}
	for k := range s {
		if strings.Contains(k, part) {
			if v, ok := s.Number(k); ok {
				out[k] = v
			}
		}
	}
	return out
}

// ErrMntrNotAllowed means the server refused mntr: its
// 4lw.commands.whitelist (zookeeper.4lw.commands.whitelist) lacks it.
var ErrMntrNotAllowed = errors.New("mntr is not allowed: add it to the server's 4lw.commands.whitelist")

// Mntr asks the server at addr (host:port, its client port) for its
// figures with the mntr four-letter word.
func Mntr(ctx context.Context, addr string) (Stats, error) {
	reply, err := FourLetter(ctx, addr, "mntr")
	if err != nil {
		return nil, err
	}
	stats, err := parseMntr(reply)
	if err != nil {
		return nil, fmt.Errorf("mntr %s: %w", addr, err)
	}
	return stats, nil
}

// FourLetter sends one of ZooKeeper's four-letter words (mntr, srvr,
// conf…) to the server at addr and returns its reply.
func FourLetter(ctx context.Context, addr, word string) ([]byte, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, mntrTimeout)
		defer cancel()
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", word, addr, err)
	}
	defer c.Close()
	deadline, _ := ctx.Deadline()
	c.SetDeadline(deadline)
	if _, err := io.WriteString(c, word); err != nil {
		return nil, fmt.Errorf("%s %s: %w", word, addr, err)
	}
	// The server closes the connection after its reply.
	reply, err := io.ReadAll(c)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", word, addr, err)
	}
	if bytes.Contains(reply, []byte("not in the whitelist")) {
		return nil, fmt.Errorf("%s %s: %w", word, addr, notAllowed(word))
	}
	return reply, nil
}

// notAllowed is the error of a word the server's whitelist lacks.
func notAllowed(word string) error {
	if word == "mntr" {
		return ErrMntrNotAllowed
	}
	return fmt.Errorf("%w: %s is not in the server's 4lw.commands.whitelist", ErrWordNotAllowed, word)
}

// ErrWordNotAllowed means the server refused a four-letter word its
// 4lw.commands.whitelist lacks.
var ErrWordNotAllowed = errors.New("four-letter word not allowed")

// Srvr returns the server's srvr reply as "Key: value" pairs (Mode:
// leader, Zxid: 0x…, Latency min/avg/max: …).
func Srvr(ctx context.Context, addr string) (map[string]string, error) {
	reply, err := FourLetter(ctx, addr, "srvr")
	if err != nil {
		return nil, err
	}
	return parsePairs(reply, ": "), nil
}

// Conf returns what the server runs with, its conf reply as key=value
// pairs (tickTime, initLimit, dataDir, serverId, membership's server.N…).
func Conf(ctx context.Context, addr string) (map[string]string, error) {
	reply, err := FourLetter(ctx, addr, "conf")
	if err != nil {
		return nil, err
	}
	return parsePairs(reply, "="), nil
}

// parsePairs reads the lines of a reply that hold sep; the others
// (headings such as "membership: ") are skipped.
func parsePairs(reply []byte, sep string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(string(reply), "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), sep); ok && k != "" {
			out[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return out
}

// parseMntr reads mntr's "key<TAB>value" lines.
func parseMntr(reply []byte) (Stats, error) {
	s := Stats{}
	sc := bufio.NewScanner(bytes.NewReader(reply))
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, "\t")
		if !ok {
			return nil, fmt.Errorf("reply line %q is not key<TAB>value", line)
		}
		s[k] = v
	}
	if len(s) == 0 {
		return nil, errors.New("empty reply")
	}
	return s, sc.Err()
}

// ServerStats is one server's figures, or why there are none.
type ServerStats struct {
	Addr  string
	Stats Stats // nil when Err is set
	Err   error
}

// ServerStats asks every server of the target for its figures, all at
// once. A server that is down or refuses mntr has Err set; the others
// still answer.
func (t *Target) ServerStats(ctx context.Context) []ServerStats {
	out := make([]ServerStats, len(t.servers))
	var wg sync.WaitGroup
	for i, addr := range t.servers {
		wg.Go(func() {
			s, err := Mntr(ctx, addr)
			out[i] = ServerStats{Addr: addr, Stats: s, Err: err}
		})
	}
	wg.Wait()
	return out
}
