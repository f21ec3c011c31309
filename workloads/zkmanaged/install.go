// Package zkmanaged runs a real ZooKeeper 3.8 ensemble on loopback for a
// benchmark: the --target zookeeper of zkbench run. It writes each
// member's zoo.cfg, myid and JVM properties from a Config under
// ZooKeeper's own names, starts one JVM per member, waits for a quorum,
// stops them (SIGTERM, then SIGKILL, by PID), and can kill and restart
// one member. It also watches the members' version-2 folders for the
// figures a server's files tell: snapshots, log rolls and preallocation
// steps (files.go).
package zkmanaged

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"zkbench/internal/zkinstall"
)

// ErrNotInstalled means no Java runtime or no ZooKeeper was found; its
// message says how to install them.
var ErrNotInstalled = errors.New("ZooKeeper 3.8 not found")

// InstallHint is how to get what ErrNotInstalled says is missing.
const InstallHint = "apt-get install -y zookeeper default-jre-headless, or name a release folder: --target zookeeper:/opt/apache-zookeeper-3.8.4-bin"

// DebianJarDir is where Debian's zookeeper package puts ZooKeeper and its
// dependencies: the default ZK_HOME.
const DebianJarDir = zkinstall.DebianJarDir

// Install is a Java runtime and a ZooKeeper to run on it.
type Install struct {
	// Home is the ZooKeeper named: DebianJarDir or a release folder.
	Home      string
	Java      string // the java binary
	Classpath string
	// Logback says the release logs through logback (3.8's release
	// folders) rather than log4j 1.2 (Debian's package).
	Logback bool
}

// Locate finds java (JAVA_HOME/bin/java, else on PATH) and ZooKeeper in
// home: "" means DebianJarDir; a release folder (apache-zookeeper-3.8.x-bin)
// has its jars in lib/. Errors wrap ErrNotInstalled.
func Locate(home string) (Install, error) {
	in := Install{Home: home}
	if in.Home == "" {
		in.Home = DebianJarDir
	}
	java, err := findJava()
	if err != nil {
		return in, err
	}
	in.Java = java
	if lib := filepath.Join(in.Home, "lib"); isDir(lib) {
		jars, _ := filepath.Glob(filepath.Join(lib, "*.jar"))
		if !containsPrefix(jars, "zookeeper-3.") {
			return in, fmt.Errorf("%w: %s holds no zookeeper-3.*.jar; %s", ErrNotInstalled, lib, InstallHint)
		}
		in.Classpath = strings.Join(jars, ":")
		in.Logback = containsPrefix(jars, "logback-classic")
		return in, nil
	}
	jars := zkinstall.DebianJars()
	paths := make([]string, len(jars))
	for i, j := range jars {
		paths[i] = filepath.Join(in.Home, j)
		if _, err := os.Stat(paths[i]); err != nil {
			return in, fmt.Errorf("%w: no %s; %s", ErrNotInstalled, paths[i], InstallHint)
		}
	}
	in.Classpath = strings.Join(paths, ":")
	return in, nil
}

func findJava() (string, error) {
	if h := os.Getenv("JAVA_HOME"); h != "" {
		if j := filepath.Join(h, "bin", "java"); isExecutable(j) {
			return j, nil
		}
	}
	j, err := exec.LookPath("java")
	if err != nil {
		return "", fmt.Errorf("%w: no java on PATH (nor in JAVA_HOME); %s", ErrNotInstalled, InstallHint)
	}
	return j, nil
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

func containsPrefix(paths []string, prefix string) bool {
	for _, p := range paths {
		if strings.HasPrefix(filepath.Base(p), prefix) {
			return true
		}
	}
	return false
}
