package zkmanaged

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"zkbench/internal/zkinstall"

	"zkbench/workloads/zktarget"
)

// StopTimeout is how long Stop waits after SIGTERM before SIGKILL.
const StopTimeout = 15 * time.Second

// Ensemble is a running set of ZooKeeper servers.
type Ensemble struct {
	cfg   Config
	ports map[int]ports

	mu    sync.Mutex
	procs map[int]*process
	// launching keeps two Launches of one member from both finding it
	// stopped and starting two JVMs.
	launching sync.Mutex
}

// process is one member's JVM while it runs.
type process struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed when Wait returned
}

// Start writes every member's files (Folder/server<id>/zoo.cfg and its
// logging configuration, myid in its DataDir), starts the JVMs on ports
// the OS picks, and waits until the voters have a leader and every
// member serves, or ctx ends. On an error the JVMs started are stopped.
//
// A port the OS gave can be taken by another process before the JVM
// binds it (the JVM takes a second or more to start): a member that
// exits for that is started again, with all the others, on new ports,
// up to startAttempts times.
func Start(ctx context.Context, cfg Config) (*Ensemble, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	// The JVMs run in their configuration folders: every path they are
	// given is absolute.
	if err := cfg.absolute(); err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		e, err := start(ctx, cfg)
		switch {
		case err == nil:
			return e, nil
		case attempt == startAttempts || !errors.Is(err, errPortTaken):
			return nil, err
		}
		// The folders and configuration of this attempt are its own.
		for _, m := range cfg.Members {
			os.RemoveAll(e.MemberFolder(m.ID))
		}
	}
}

// startAttempts bounds the starts of an ensemble whose ports were taken.
const startAttempts = 3

// errPortTaken means a member could not bind one of its ports.
var errPortTaken = errors.New("a port was taken before the server bound it")

func start(ctx context.Context, cfg Config) (*Ensemble, error) {
	ps, err := freePorts(3 * len(cfg.Members))
	if err != nil {
		return nil, fmt.Errorf("free ports: %w", err)
	}
	e := &Ensemble{cfg: cfg, ports: map[int]ports{}, procs: map[int]*process{}}
	for i, m := range cfg.Members {
		e.ports[m.ID] = ports{client: ps[3*i], quorum: ps[3*i+1], election: ps[3*i+2]}
	}
	for _, m := range cfg.Members {
		if err := e.writeFiles(m); err != nil {
			return e, err
		}
	}
	for _, m := range cfg.Members {
		if err := e.start(m); err != nil {
			e.Stop()
			return e, err
		}
	}
	if err := e.WaitQuorum(ctx); err != nil {
		e.Stop()
		return e, err
	}
	return e, nil
}

// freePorts is zkinstall.FreePorts; a test replaces it to hand out a
// port that is taken.
var freePorts = zkinstall.FreePorts

// MemberFolder is where member id's configuration and server.log are.
func (e *Ensemble) MemberFolder(id int) string {
	return filepath.Join(e.cfg.Folder, "server"+strconv.Itoa(id))
}

func (e *Ensemble) writeFiles(m Member) error {
	dir := e.MemberFolder(m.ID)
	if err := os.Mkdir(dir, 0o755); err != nil {
		return fmt.Errorf("member %d: %w", m.ID, err)
	}
	files := []struct{ path, text string }{
		{filepath.Join(dir, "zoo.cfg"), e.cfg.zooCfg(m, e.ports)},
		{filepath.Join(dir, "log4j.properties"), log4jConfig},
		{filepath.Join(dir, "logback.xml"), logbackConfig},
		{filepath.Join(dir, "command"), shellQuote(append([]string{e.cfg.Install.Java}, e.cfg.jvmArgs(m, dir)...)) + "\n"},
		{filepath.Join(m.DataDir, "myid"), strconv.Itoa(m.ID) + "\n"},
	}
	for _, f := range files {
		if b, err := os.ReadFile(f.path); err == nil && string(b) == f.text {
			continue // a myid the preload wrote already
		}
		// O_EXCL: a file that exists is not this run's to overwrite.
		fh, err := os.OpenFile(f.path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return fmt.Errorf("member %d: %w", m.ID, err)
		}
		_, err = fh.WriteString(f.text)
		if cerr := fh.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("member %d: %w", m.ID, err)
		}
	}
	return nil
}

func shellQuote(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		if strings.ContainsAny(a, " '\"$*;&|<>()\\") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		q[i] = a
	}
	return strings.Join(q, " ")
}

func (e *Ensemble) member(id int) (Member, bool) {
	for _, m := range e.cfg.Members {
		if m.ID == id {
			return m, true
		}
	}
	return Member{}, false
}

// start launches member m's JVM, its output appended to server.log.
func (e *Ensemble) start(m Member) error {
	dir := e.MemberFolder(m.ID)
	log, err := os.OpenFile(filepath.Join(dir, "server.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("member %d: %w", m.ID, err)
	}
	defer log.Close()
	cmd := exec.Command(e.cfg.Install.Java, e.cfg.jvmArgs(m, dir)...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = log, log
	cmd.Env = append(os.Environ(), "TZ=UTC")
	// Its own process group: a Ctrl-C at the terminal reaches zkbench,
	// which stops the servers after writing what it measured; and the
	// JVM dies with zkbench if zkbench is killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("member %d: start %s: %w", m.ID, e.cfg.Install.Java, err)
	}
	p := &process{cmd: cmd, exited: make(chan struct{})}
	go func() { cmd.Wait(); close(p.exited) }()
	e.mu.Lock()
	e.procs[m.ID] = p
	e.mu.Unlock()
	return nil
}

// Members returns the members' ids in order.
func (e *Ensemble) Members() []int {
	ids := make([]int, len(e.cfg.Members))
	for i, m := range e.cfg.Members {
		ids[i] = m.ID
	}
	return ids
}

// ClientAddr is member id's client address, host:port.
func (e *Ensemble) ClientAddr(id int) string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(e.ports[id].client))
}

// Target is the ensemble as a zk:// target URL.
func (e *Ensemble) Target() string {
	addrs := make([]string, 0, len(e.cfg.Members))
	for _, id := range e.Members() {
		addrs = append(addrs, e.ClientAddr(id))
	}
	return "zk://" + strings.Join(addrs, ",")
}

// PID is member id's JVM's process id, 0 when it is not running.
func (e *Ensemble) PID(id int) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	if p := e.procs[id]; p != nil && !p.done() {
		return p.cmd.Process.Pid
	}
	return 0
}

func (p *process) done() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// OpenFiles returns the files member id's JVM holds open (Linux's
// /proc/PID/fd); false when it is not running or they cannot be listed.
func (e *Ensemble) OpenFiles(id int) (map[string]bool, bool) {
	pid := e.PID(id)
	if pid == 0 {
		return nil, false
	}
	fdDir := filepath.Join("/proc", strconv.Itoa(pid), "fd")
	fds, err := os.ReadDir(fdDir)
	if err != nil {
		return nil, false
	}
	open := map[string]bool{}
	for _, fd := range fds {
		if target, err := os.Readlink(filepath.Join(fdDir, fd.Name())); err == nil {
			open[target] = true
		}
	}
	return open, true
}

// ErrExited means a member's JVM ended on its own.
var ErrExited = errors.New("server exited")

// WaitQuorum waits until every running member serves in its role: one
// voter leads, the other voters follow, observers observe. A member
// whose JVM exits meanwhile is an error naming its log.
func (e *Ensemble) WaitQuorum(ctx context.Context) error {
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	var modes map[int]string
	for {
		if err := e.exited(); err != nil {
			return err
		}
		modes = e.Modes(ctx)
		if quorate(e.cfg.Members, modes, e.running()) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("no quorum (modes %v): %w; see %s", modes, ctx.Err(), filepath.Join(e.cfg.Folder, "server*", "server.log"))
		case <-t.C:
		}
	}
}

// quorate: exactly one running voter leads, every other running member
// serves (follower or observer).
func quorate(members []Member, modes map[int]string, running map[int]bool) bool {
	leaders := 0
	for _, m := range members {
		if !running[m.ID] {
			continue
		}
		switch mode := modes[m.ID]; {
		case mode == "leader" && !m.Observer:
			leaders++
		case mode == "follower" && !m.Observer, mode == "observer" && m.Observer:
		default:
			return false
		}
	}
	return leaders == 1
}

func (e *Ensemble) running() map[int]bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	r := map[int]bool{}
	for id, p := range e.procs {
		r[id] = !p.done()
	}
	return r
}

// exited returns an error for the first member whose JVM ended on its
// own (not by Kill or Stop, which forget it).
func (e *Ensemble) exited() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, id := range e.Members() {
		if p := e.procs[id]; p != nil && p.done() {
			log := filepath.Join(e.MemberFolder(id), "server.log")
			if b, _ := os.ReadFile(log); strings.Contains(string(b), "Address already in use") {
				return fmt.Errorf("member %d: %w (%w); see %s", id, ErrExited, errPortTaken, log)
			}
			return fmt.Errorf("member %d: %w (%v); see %s", id, ErrExited, p.cmd.ProcessState, log)
		}
	}
	return nil
}

// Modes asks every member for its mode (srvr's Mode: leader, follower,
// observer); a member that does not answer is absent.
func (e *Ensemble) Modes(ctx context.Context) map[int]string {
	out := map[int]string{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, id := range e.Members() {
		wg.Go(func() {
			c, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			if s, err := zktarget.Srvr(c, e.ClientAddr(id)); err == nil && s["Mode"] != "" {
				mu.Lock()
				out[id] = s["Mode"]
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return out
}

// Kill ends member id's JVM with SIGKILL, as a crash would, and waits
// for it to be gone. Its folders stay; Restart starts it again.
func (e *Ensemble) Kill(id int) error {
	e.mu.Lock()
	p := e.procs[id]
	delete(e.procs, id)
	e.mu.Unlock()
	if p == nil {
		return fmt.Errorf("member %d is not running", id)
	}
	err := p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
	if errors.Is(err, os.ErrProcessDone) {
		err = nil // it ended on its own meanwhile
	}
	return err
}

// Restart starts member id again, on its ports, with its configuration
// and data, and waits until it serves in its role again or ctx ends.
func (e *Ensemble) Restart(ctx context.Context, id int) error {
	if err := e.Launch(id); err != nil {
		return err
	}
	return e.WaitQuorum(ctx)
}

// Launch starts member id again, on its ports, with its configuration
// and data, without waiting for it: a fault schedule times its way back
// by asking it (srvr) and reading its server.log.
func (e *Ensemble) Launch(id int) error {
	m, ok := e.member(id)
	if !ok {
		return fmt.Errorf("no member %d", id)
	}
	e.launching.Lock()
	defer e.launching.Unlock()
	if e.PID(id) != 0 {
		return fmt.Errorf("member %d is running", id)
	}
	return e.start(m)
}

// LogFile is member id's server.log, which every start of it appends to.
func (e *Ensemble) LogFile(id int) string {
	return filepath.Join(e.MemberFolder(id), "server.log")
}

// Stop ends every JVM: SIGTERM, and SIGKILL for one still there after
// StopTimeout. It returns once all are gone.
func (e *Ensemble) Stop() {
	e.mu.Lock()
	procs := e.procs
	e.procs = map[int]*process{}
	e.mu.Unlock()
	for _, p := range procs {
		p.cmd.Process.Signal(syscall.SIGTERM)
	}
	timer := time.NewTimer(StopTimeout)
	defer timer.Stop()
	expired := false
	for _, p := range procs {
		if !expired {
			select {
			case <-p.exited:
				continue
			case <-timer.C:
				expired = true
			}
		}
		p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.exited
	}
}
