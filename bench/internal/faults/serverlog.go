package faults

import (
	"bufio"
	"io"
	"strconv"
	"strings"
	"time"
)

// serverLog is what a real ZooKeeper 3.8 server's log says of one start:
// the snapshots it read (FileSnap: "Reading snapshot PATH", the last one
// loaded, any before it failed), its log replay (FileTxnSnapLog:
// "N txns loaded in M ms", logged only when a log follows the snapshot),
// the whole restore (ZKDatabase.loadDataBase: "Snapshot loaded in M ms,
// highest zxid is 0xZ", which times snapshot and replay together), and
// its learner sync (Learner.syncWithLeader: "Getting a diff from the
// leader", "Getting a snapshot from leader", "Truncating log to get in
// sync with the leader", then "Learner received UPTODATE message").
// Zero values are what the log did not say.
type serverLog struct {
	snapshots []string

	replayed   int
	replayMs   float64
	hasReplay  bool
	restoreMs  float64
	zxid       string
	restoreEnd time.Time // zero: no restore line

	syncMode  string
	syncStart time.Time
	syncEnd   time.Time // zero: not synced (UPTODATE not logged)
}

// logTime is the layout of the servers' %d{ISO8601} (log4j and logback
// alike), written in UTC: zkbench starts the JVMs with TZ=UTC.
const logTime = "2006-01-02 15:04:05,000"

// parseServerLog reads the lines of one start of a server, from the
// restart on, keeping the first of each kind (a later start is another
// fault's). Lines it does not know are skipped.
func parseServerLog(r io.Reader) (serverLog, error) {
	var l serverLog
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if len(line) < len(logTime) {
			continue
		}
		t, err := time.Parse(logTime, line[:len(logTime)])
		if err != nil {
			continue
		}
		_, msg, ok := strings.Cut(line[len(logTime):], "] - ")
		if !ok {
			continue
		}
		l.take(t, msg)
	}
	return l, sc.Err()
}

func (l *serverLog) take(t time.Time, msg string) {
	switch {
	case strings.HasPrefix(msg, "Reading snapshot ") && l.restoreEnd.IsZero():
		l.snapshots = append(l.snapshots, strings.TrimSpace(strings.TrimPrefix(msg, "Reading snapshot ")))
	case strings.Contains(msg, " txns loaded in ") && !l.hasReplay && l.restoreEnd.IsZero():
		n, rest, _ := strings.Cut(msg, " txns loaded in ")
		txns, err1 := strconv.Atoi(n)
		ms, err2 := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " ms"), 64)
		if err1 == nil && err2 == nil {
			l.replayed, l.replayMs, l.hasReplay = txns, ms, true
		}
	case strings.HasPrefix(msg, "Snapshot loaded in ") && l.restoreEnd.IsZero():
		rest := strings.TrimPrefix(msg, "Snapshot loaded in ")
		ms, rest, ok := strings.Cut(rest, " ms, highest zxid is ")
		v, err := strconv.ParseFloat(ms, 64)
		if !ok || err != nil {
			return
		}
		zxid, _, _ := strings.Cut(rest, ",")
		l.restoreMs, l.zxid, l.restoreEnd = v, strings.TrimSpace(zxid), t
	case l.syncEnd.IsZero() && syncModeOf(msg) != "":
		mode := syncModeOf(msg)
		switch {
		case l.syncMode == "":
			l.syncMode, l.syncStart = mode, t
		case l.syncMode == "TRUNC" && mode == "DIFF":
			l.syncMode = "TRUNC+DIFF"
		}
	case strings.HasPrefix(msg, "Learner received UPTODATE message") && l.syncMode != "" && l.syncEnd.IsZero():
		l.syncEnd = t
	}
}

// syncModeOf is the learner sync a line of Learner.syncWithLeader
// starts, or "".
func syncModeOf(msg string) string {
	switch {
	case strings.HasPrefix(msg, "Getting a diff from the leader"):
		return "DIFF"
	case strings.HasPrefix(msg, "Getting a snapshot from leader"):
		return "SNAP"
	case strings.HasPrefix(msg, "Truncating log to get in sync with the leader"):
		return "TRUNC"
	}
	return ""
}
