// Package zkinstall is what running Debian's ZooKeeper 3.8 takes, shared
// by the managed target (workloads/zkmanaged) and the tests' reference
// server (internal/zkref): where its jars are, which of them a server
// needs, and free loopback ports for its members. It imports nothing of
// zkbench, so that both can use it.
package zkinstall

import "net"

// DebianJarDir is where Debian's zookeeper package puts ZooKeeper and its
// dependencies.
const DebianJarDir = "/usr/share/java"

// DebianJars are the jars ZooKeeper 3.8's server and tools need from a
// Debian install (the package's own class path), in class-path order.
func DebianJars() []string {
	return []string{
		"zookeeper.jar", "zookeeper-jute.jar", "slf4j-api.jar", "slf4j-log4j12.jar",
		"log4j-1.2.jar", "commons-cli.jar", "commons-io.jar", "netty-buffer.jar",
		"netty-common.jar", "netty-handler.jar", "netty-transport.jar",
		"netty-transport-native-epoll.jar", "netty-transport-native-unix-common.jar",
		"netty-resolver.jar", "netty-codec.jar", "metrics-core.jar", "snappy-java.jar",
		"jackson-core.jar", "jackson-databind.jar", "jackson-annotations.jar",
	}
}

// FreePorts asks the OS for n free loopback ports, holding all of them
// until it has them all so that none is given twice.
func FreePorts(n int) ([]int, error) {
	out := make([]int, n)
	for i := range out {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer l.Close()
		out[i] = l.Addr().(*net.TCPAddr).Port
	}
	return out, nil
}
