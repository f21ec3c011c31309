// Package fourletter answers ZooKeeper's four-letter words — ruok, srvr,
// stat, conf, envi, cons, mntr, wchs, wchc, wchp, dirs, isro, crst, srst —
// in ZooKeeper 3.8's formats, from a member's figures. Monitoring tools
// and client libraries parse these replies (mntr's key<TAB>value lines,
// srvr's "Mode: leader", envi's zookeeper.version), so the keys, line
// shapes and number formats are ZooKeeper's own (its command package,
// ServerStats.toString, ServerCnxn.dumpConnectionInfo, the metrics
// provider's summaries). It does no I/O: the engine gathers the figures
// and writes the reply.
package fourletter

import (
	"encoding/binary"
	"slices"
	"strings"
)

// Known are the words ZooKeeper 3.8 recognizes (FourLetterCommands), in
// its order. A connection whose first four bytes are one of them is a
// four-letter word, not a length.
var Known = []string{"conf", "cons", "crst", "dirs", "dump", "envi", "gtmk", "ruok",
	"stmk", "srst", "srvr", "stat", "wchc", "wchp", "wchs", "mntr", "isro", "hash"}

// Answered are the words this package answers. dump, gtmk, stmk and hash
// are known but not answered: the connection is closed without a reply.
var Answered = []string{"conf", "cons", "crst", "dirs", "envi", "ruok", "srst", "srvr",
	"stat", "wchc", "wchp", "wchs", "mntr", "isro"}

// Word returns the four-letter word a connection's first four bytes
// spell, if ZooKeeper knows it.
func Word(first [4]byte) (string, bool) {
	w := string(first[:])
	return w, slices.Contains(Known, w)
}

// Is reports whether n, a frame length as read from a connection's first
// four bytes, is a known word (NIOServerCnxn.checkFourLetterWord tests
// the length before anything else).
func Is(n int32) bool {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], uint32(n))
	_, ok := Word(b)
	return ok
}

// DefaultWhitelist is 4lw.commands.whitelist when it is not set: ZooKeeper
// 3.8 enables srvr alone (FourLetterCommands.isEnabled).
const DefaultWhitelist = "srvr"

// Whitelist is the set of enabled words.
type Whitelist map[string]bool

// ParseWhitelist reads 4lw.commands.whitelist as ZooKeeper does: a comma
// separated list, blanks trimmed, "*" for every known word; srvr is
// always enabled. Unknown words are kept (they enable nothing).
func ParseWhitelist(s string) Whitelist {
	w := Whitelist{"srvr": true}
	for _, cmd := range strings.Split(s, ",") {
		cmd = strings.TrimSpace(cmd)
		if cmd == "*" {
			for _, k := range Known {
				w[k] = true
			}
			break
		}
		if cmd != "" {
			w[cmd] = true
		}
	}
	return w
}

// String lists the enabled words, sorted, comma separated.
func (w Whitelist) String() string {
	var ws []string
	for k := range w {
		ws = append(ws, k)
	}
	slices.Sort(ws)
	return strings.Join(ws, ",")
}

// NotAllowed is the reply to a known word the whitelist lacks.
func NotAllowed(word string) string {
	return word + " is not executed because it is not in the whitelist.\n"
}

// NotServing is the reply of most words while the member does not serve
// (AbstractFourLetterCommand.ZK_NOT_SERVING).
const NotServing = "This ZooKeeper instance is not currently serving requests\n"
