package zkmanaged

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Member is one server of the ensemble: its id (myid) and folders.
type Member struct {
	ID       int
	Observer bool
	// DataDir holds myid and version-2's snapshots; LogDir, when not
	// empty, version-2's transaction logs (ZooKeeper's dataLogDir).
	DataDir, LogDir string
}

// Config is an ensemble to start: its members, the knobs a benchmark
// varies (each written under ZooKeeper's own name), and where the
// servers' configuration and logs go.
type Config struct {
	Install Install
	Members []Member
	// Folder receives server<id>/ with each member's zoo.cfg, logging
	// configuration, command line and server.log. It must exist.
	Folder string

	TickTime            time.Duration // zoo.cfg tickTime
	InitLimit           int           // zoo.cfg initLimit, in ticks
	SyncLimit           int           // zoo.cfg syncLimit, in ticks
	SnapCount           int           // zookeeper.snapCount
	PreAllocSize        int64         // zookeeper.preAllocSize, bytes (written in KiB)
	SnapSizeLimit       int64         // zookeeper.snapSizeLimitInKb, bytes (written in KiB); 0 = no size trigger
	ForceSync           bool          // zookeeper.forceSync
	MaxBatchSize        int           // zookeeper.maxBatchSize
	CommitLogCount      int           // zookeeper.commitLogCount
	FsyncWarning        time.Duration // zookeeper.fsync.warningthresholdms
	SnapRetainCount     int           // zoo.cfg autopurge.snapRetainCount
	PurgeInterval       time.Duration // zoo.cfg autopurge.purgeInterval, whole hours; 0 = off
	Heap                string        // -Xmx, e.g. 1000m as zkEnv.sh's ZK_SERVER_HEAP; "" = the JVM's default
	FourLetterWhitelist []string      // 4lw.commands.whitelist, beside Whitelist's words
	MaxClientCnxns      int           // zoo.cfg maxClientCnxns; 0 = no limit
	MinSessionTimeout   time.Duration // zoo.cfg minSessionTimeout
	MaxSessionTimeout   time.Duration // zoo.cfg maxSessionTimeout
	ReconfigEnabled     bool          // zoo.cfg reconfigEnabled
	SnapshotSizeFactor  float64       // zookeeper.snapshotSizeFactor
	SuperDigest         string        // zookeeper.DigestAuthenticationProvider.superDigest; "" = none
}

// Whitelist is the four-letter words zkbench asks: mntr (figures), srvr
// (mode), conf (what a server runs with), ruok.
var Whitelist = []string{"mntr", "srvr", "conf", "ruok", "stat"}

// Check refuses what ZooKeeper cannot be configured to do: a knob it
// takes only in whole units of its own.
func (c Config) Check() error {
	if c.PurgeInterval%time.Hour != 0 {
		return fmt.Errorf("autopurge.purgeInterval %v: ZooKeeper takes whole hours", c.PurgeInterval)
	}
	if c.TickTime%time.Millisecond != 0 || c.TickTime <= 0 {
		return fmt.Errorf("tickTime %v: ZooKeeper takes a positive number of milliseconds", c.TickTime)
	}
	voters := 0
	for _, m := range c.Members {
		if !m.Observer {
			voters++
		}
	}
	if voters == 0 {
		return fmt.Errorf("no voting member")
	}
	return nil
}

// absolute makes the folders of c absolute paths.
func (c *Config) absolute() error {
	abs := func(p *string) error {
		if *p == "" {
			return nil
		}
		a, err := filepath.Abs(*p)
		*p = a
		return err
	}
	if err := abs(&c.Folder); err != nil {
		return err
	}
	ms := slices.Clone(c.Members)
	for i := range ms {
		if err := abs(&ms[i].DataDir); err != nil {
			return err
		}
		if err := abs(&ms[i].LogDir); err != nil {
			return err
		}
	}
	c.Members = ms
	return nil
}

// ports are one member's loopback ports.
type ports struct{ client, quorum, election int }

// zooCfg is member m's zoo.cfg: the keys zoo.cfg itself takes. The knobs
// ZooKeeper reads as system properties go on the command line (jvmArgs),
// where they take effect whatever class reads them first.
func (c Config) zooCfg(m Member, all map[int]ports) string {
	var b strings.Builder
	line := func(k string, v any) { fmt.Fprintf(&b, "%s=%v\n", k, v) }
	b.WriteString("# written by zkbench from its plan\n")
	line("tickTime", c.TickTime.Milliseconds())
	line("initLimit", c.InitLimit)
	line("syncLimit", c.SyncLimit)
	line("dataDir", m.DataDir)
	if m.LogDir != "" {
		line("dataLogDir", m.LogDir)
	}
	line("clientPort", all[m.ID].client)
	line("clientPortAddress", "127.0.0.1")
	line("autopurge.snapRetainCount", c.SnapRetainCount)
	line("autopurge.purgeInterval", int(c.PurgeInterval/time.Hour))
	line("4lw.commands.whitelist", strings.Join(c.Whitelist(), ","))
	line("maxClientCnxns", c.MaxClientCnxns)
	if c.MinSessionTimeout > 0 { // else ZooKeeper's 2 × tickTime
		line("minSessionTimeout", c.MinSessionTimeout.Milliseconds())
	}
	if c.MaxSessionTimeout > 0 { // else 20 × tickTime
		line("maxSessionTimeout", c.MaxSessionTimeout.Milliseconds())
	}
	line("reconfigEnabled", c.ReconfigEnabled)
	line("admin.enableServer", false) // every member would want port 8080
	// One member is a quorum of one, as the embedded ensemble's, with
	// epoch files, not a standalone server.
	line("standaloneEnabled", false)
	if m.Observer {
		line("peerType", "observer")
	}
	for _, o := range c.Members {
		p := all[o.ID]
		s := fmt.Sprintf("127.0.0.1:%d:%d", p.quorum, p.election)
		if o.Observer {
			s += ":observer"
		}
		line("server."+strconv.Itoa(o.ID), s)
	}
	return b.String()
}

// Whitelist is the four-letter words the servers answer: zkbench's own
// (Whitelist) and those the configuration adds; "*" for all.
func (c Config) Whitelist() []string {
	if slices.Contains(c.FourLetterWhitelist, "*") {
		return []string{"*"}
	}
	w := slices.Clone(Whitelist)
	for _, word := range c.FourLetterWhitelist {
		if !slices.Contains(w, word) {
			w = append(w, word)
		}
	}
	return w
}

// SystemProperties are the JVM properties of every member, by
// ZooKeeper's names.
func (c Config) SystemProperties() map[string]string {
	forceSync := "no"
	if c.ForceSync {
		forceSync = "yes"
	}
	props := map[string]string{
		"zookeeper.snapshotSizeFactor":       strconv.FormatFloat(c.SnapshotSizeFactor, 'g', -1, 64),
		"zookeeper.snapCount":                strconv.Itoa(c.SnapCount),
		"zookeeper.preAllocSize":             strconv.FormatInt(c.PreAllocSize/1024, 10),
		"zookeeper.snapSizeLimitInKb":        strconv.FormatInt(c.snapSizeLimitKiB(), 10),
		"zookeeper.forceSync":                forceSync,
		"zookeeper.maxBatchSize":             strconv.Itoa(c.MaxBatchSize),
		"zookeeper.commitLogCount":           strconv.Itoa(c.CommitLogCount),
		"zookeeper.fsync.warningthresholdms": strconv.FormatInt(c.FsyncWarning.Milliseconds(), 10),
		"zookeeper.admin.enableServer":       "false",
		"zookeeper.4lw.commands.whitelist":   strings.Join(c.Whitelist(), ","),
	}
	if c.SuperDigest != "" {
		props["zookeeper.DigestAuthenticationProvider.superDigest"] = c.SuperDigest
	}
	return props
}

// snapSizeLimitKiB is the size trigger in ZooKeeper's unit; ZooKeeper
// turns it off with a value ≤ 0.
func (c Config) snapSizeLimitKiB() int64 {
	if c.SnapSizeLimit <= 0 {
		return -1
	}
	return max(1, c.SnapSizeLimit/1024)
}

// jvmArgs is member m's java command line after the binary.
func (c Config) jvmArgs(m Member, folder string) []string {
	var args []string
	if c.Heap != "" {
		args = append(args, "-Xmx"+c.Heap)
	}
	args = append(args, "-cp", c.Install.Classpath)
	props := c.SystemProperties()
	props["log4j.configuration"] = "file:" + filepath.Join(folder, "log4j.properties")
	props["logback.configurationFile"] = filepath.Join(folder, "logback.xml")
	props["zookeeper.log.dir"] = folder
	props["user.timezone"] = "UTC"
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		args = append(args, "-D"+k+"="+props[k])
	}
	return append(args, "org.apache.zookeeper.server.quorum.QuorumPeerMain", filepath.Join(folder, "zoo.cfg"))
}

// log4jConfig sends a Debian server's log (log4j 1.2) to stdout, which
// is the member's server.log.
const log4jConfig = `log4j.rootLogger=INFO, O
log4j.appender.O=org.apache.log4j.ConsoleAppender
log4j.appender.O.Target=System.out
log4j.appender.O.layout=org.apache.log4j.PatternLayout
log4j.appender.O.layout.ConversionPattern=%d{ISO8601} %-5p [%t:%C{1}@%L] - %m%n
`

// logbackConfig does the same for a release folder's server (logback).
const logbackConfig = `<configuration>
  <appender name="O" class="ch.qos.logback.core.ConsoleAppender">
    <encoder><pattern>%d{ISO8601} %-5p [%t:%C{1}@%L] - %m%n</pattern></encoder>
  </appender>
  <root level="INFO"><appender-ref ref="O"/></root>
</configuration>
`
