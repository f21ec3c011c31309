module zkbench

go 1.26.8

require (
	github.com/go-zookeeper/zk v1.0.4
	golang.org/x/sys v0.50.0
)

require github.com/spf13/pflag v1.1.0 // indirect
