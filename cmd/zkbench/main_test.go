package main

import (
	"os"
	"testing"

	"zkbench/internal/runfolders/runfolderstest"
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(m.Run()) // a child keeps its parent's records
	}
	runfolderstest.Main(m)
}
