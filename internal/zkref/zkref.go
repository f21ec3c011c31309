// Package zkref runs Apache ZooKeeper 3.8's own tools and server, the
// reference that zkbench's files are checked against in integration tests,
// and parses what those tools print (dumps.go), also for the dumps kept
// with the fixtures, which need no Java. Running them uses the Debian packages zookeeper/libzookeeper-java (jars under
// /usr/share/java) and a Java runtime.
package zkref

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"zkbench/internal/zkinstall"
)

// RequireEnv names the variable that turns a missing ZooKeeper into a test
// failure instead of a skip; CI sets it so that the reference is never
// silently absent.
const RequireEnv = "ZKBENCH_REQUIRE_ZK"

// JarDir is where Debian installs ZooKeeper and its dependencies.
var JarDir = zkinstall.DebianJarDir

//go:embed ZkDirCheck.java
var dirCheckSource []byte

// ErrUnavailable means Java or the ZooKeeper jars are not installed.
var ErrUnavailable = errors.New("zkref: ZooKeeper 3.8 reference not installed (apt-get install -y zookeeper)")

// Classpath returns the class path of ZooKeeper 3.8 and its dependencies
// in JarDir.
func Classpath() (string, error) {
	if _, err := exec.LookPath("java"); err != nil {
		return "", fmt.Errorf("%w: no java on PATH", ErrUnavailable)
	}
	jars := zkinstall.DebianJars()
	paths := make([]string, len(jars))
	for i, j := range jars {
		paths[i] = filepath.Join(JarDir, j)
		if _, err := os.Stat(paths[i]); err != nil {
			return "", fmt.Errorf("%w: %v", ErrUnavailable, err)
		}
	}
	return strings.Join(paths, ":"), nil
}

// Need skips t when the reference is missing, or fails it when RequireEnv
// is set.
func Need(t testing.TB) {
	t.Helper()
	if _, err := Classpath(); err != nil {
		if os.Getenv(RequireEnv) != "" {
			t.Fatalf("%v (and %s is set)", err, RequireEnv)
		}
		t.Skip(err)
	}
}

// log4jConfig sends ZooKeeper's own logging to stderr at WARN, so tool
// output on stdout is only what the tool prints.
const log4jConfig = `log4j.rootLogger=WARN, E
log4j.appender.E=org.apache.log4j.ConsoleAppender
log4j.appender.E.Target=System.err
log4j.appender.E.layout=org.apache.log4j.PatternLayout
log4j.appender.E.layout.ConversionPattern=%-5p [%C{1}] - %m%n
`

func javaArgs(dir string, props ...string) ([]string, error) {
	cp, err := Classpath()
	if err != nil {
		return nil, err
	}
	cfg := filepath.Join(dir, "log4j.properties")
	if err := os.WriteFile(cfg, []byte(log4jConfig), 0o644); err != nil {
		return nil, err
	}
	args := []string{"-cp", cp, "-Dlog4j.configuration=file:" + cfg,
		"-Duser.timezone=UTC", "-Duser.language=en", "-Duser.country=US"}
	return append(args, props...), nil
}

// Run runs a ZooKeeper main class and returns what it printed on stdout and
// stderr. A non-zero exit is an error carrying the output.
func Run(class string, args ...string) (stdout, stderr string, err error) {
	return RunInput("", class, args...)
}

// RunInput is Run with input on the class's stdin: ZooKeeperMain without
// a command reads its commands from there, one session for all of them.
func RunInput(input, class string, args ...string) (stdout, stderr string, err error) {
	tmp, err := os.MkdirTemp("", "zkref-")
	if err != nil {
		return "", "", err
	}
	defer os.RemoveAll(tmp)
	jargs, err := javaArgs(tmp)
	if err != nil {
		return "", "", err
	}
	cmd := exec.Command("java", append(append(jargs, class), args...)...)
	cmd.Env = append(os.Environ(), "TZ=UTC")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr, cmd.Stdin = &out, &errOut, strings.NewReader(input)
	err = cmd.Run()
	if err != nil {
		err = fmt.Errorf("%s %s: %w\n%s", class, strings.Join(args, " "), err, errOut.String())
	}
	return out.String(), errOut.String(), err
}

// TxnLogToolkit dumps one log file with ZooKeeper's TxnLogToolkit.
func TxnLogToolkit(path string) (string, error) {
	out, errOut, err := Run("org.apache.zookeeper.server.persistence.TxnLogToolkit", "-d", path)
	return out + errOut, err
}

// SnapshotFormatter dumps one snapshot with ZooKeeper's SnapshotFormatter;
// detail adds each node's data (base64).
func SnapshotFormatter(path string, detail bool) (string, error) {
	args := []string{path}
	if detail {
		args = []string{"-d", path}
	}
	out, _, err := Run("org.apache.zookeeper.server.SnapshotFormatter", args...)
	return out, err
}

// DirCheck loads a data directory (the folder holding version-2) through the
// 3.8 server's own restore path and prints the chosen snapshot, replay range,
// node count, tree digest and sessions; with txns it lists every logged txn
// with its digest instead.
func DirCheck(dir string, txns bool) (string, error) {
	tmp, err := os.MkdirTemp("", "zkref-dircheck-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	src := filepath.Join(tmp, "ZkDirCheck.java")
	if err := os.WriteFile(src, dirCheckSource, 0o644); err != nil {
		return "", err
	}
	args := []string{dir}
	if txns {
		args = []string{"--txns", dir}
	}
	out, _, err := Run(src, args...)
	return out, err
}

// ServerOptions configures a reference server.
type ServerOptions struct {
	// Quorum runs a one-member quorum (standaloneEnabled=false) with myid 1
	// instead of a standalone server, so that epoch files are used.
	Quorum bool
	// DataLogDir, when set, is the dataLogDir; otherwise the log is in dataDir.
	DataLogDir string
	// Props are extra JVM system properties (-Dname=value).
	Props []string
	// Config are extra zoo.cfg lines (key=value), e.g. reconfigEnabled=true.
	Config []string
}

// Server is a running ZooKeeper 3.8 server.
type Server struct {
	Addr string // host:port for clients
	cmd  *exec.Cmd
	log  string
	tmp  string
}

// StartServer starts a server on dataDir and waits until it serves a
// session. dataDir must be the folder that holds version-2; the server may
// write into it (new log files, a start-up snapshot), so pass a copy when the
// original matters.
func StartServer(dataDir string, opts ServerOptions) (*Server, error) {
	tmp, err := os.MkdirTemp("", "zkref-server-")
	if err != nil {
		return nil, err
	}
	s := &Server{tmp: tmp, log: filepath.Join(tmp, "server.log")}
	ports, err := zkinstall.FreePorts(3)
	if err != nil {
		return nil, err
	}
	s.Addr = fmt.Sprintf("127.0.0.1:%d", ports[0])
	cfg := fmt.Sprintf("tickTime=500\ninitLimit=10\nsyncLimit=5\ndataDir=%s\nclientPort=%d\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\n",
		dataDir, ports[0])
	if opts.DataLogDir != "" {
		cfg += "dataLogDir=" + opts.DataLogDir + "\n"
	}
	if opts.Quorum {
		cfg += fmt.Sprintf("standaloneEnabled=false\nserver.1=127.0.0.1:%d:%d\n", ports[1], ports[2])
		if err := os.WriteFile(filepath.Join(dataDir, "myid"), []byte("1\n"), 0o644); err != nil {
			return nil, err
		}
	}
	for _, l := range opts.Config {
		cfg += l + "\n"
	}
	cfgPath := filepath.Join(tmp, "zoo.cfg")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		return nil, err
	}
	props := append([]string{"-Dzookeeper.admin.enableServer=false", "-Dzookeeper.extendedTypesEnabled=true"}, opts.Props...)
	jargs, err := javaArgs(tmp, props...)
	if err != nil {
		return nil, err
	}
	logf, err := os.Create(s.log)
	if err != nil {
		return nil, err
	}
	s.cmd = exec.Command("java", append(jargs, "org.apache.zookeeper.server.quorum.QuorumPeerMain", cfgPath)...)
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	s.cmd.Env = append(os.Environ(), "TZ=UTC")
	if err := s.cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	logf.Close()
	if err := s.waitServing(60 * time.Second); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

func (s *Server) waitServing(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if s.cmd.ProcessState != nil {
			break
		}
		c, err := s.Connect()
		if err == nil {
			_, _, err = c.Get("/zookeeper")
			c.Close()
			if err == nil {
				return nil
			}
		}
		time.Sleep(300 * time.Millisecond)
	}
	return fmt.Errorf("zookeeper on %s did not serve within %v; its log:\n%s", s.Addr, limit, s.Log())
}

// Connect opens a client session (go-zookeeper) to the server.
func (s *Server) Connect() (*zk.Conn, error) {
	c, ev, err := zk.Connect([]string{s.Addr}, 4*time.Second, zk.WithLogInfo(false), zk.WithLogger(quiet{}))
	if err != nil {
		return nil, err
	}
	timeout := time.After(5 * time.Second)
	for {
		select {
		case e := <-ev:
			if e.State == zk.StateHasSession {
				go drain(ev)
				return c, nil
			}
		case <-timeout:
			c.Close()
			return nil, fmt.Errorf("no session with %s", s.Addr)
		}
	}
}

// quiet drops go-zookeeper's log lines: while a server starts up every
// refused connection attempt would otherwise be printed.
type quiet struct{}

func (quiet) Printf(string, ...any) {}

func drain(ev <-chan zk.Event) {
	for range ev {
	}
}

// Log returns what the server printed so far.
func (s *Server) Log() string {
	b, _ := os.ReadFile(s.log)
	return string(b)
}

// Stop terminates the server as an operator would (SIGTERM) and waits.
func (s *Server) Stop() {
	if s.cmd != nil && s.cmd.Process != nil && s.cmd.ProcessState == nil {
		s.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { s.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			s.cmd.Process.Kill()
			<-done
		}
	}
	os.RemoveAll(s.tmp)
}
