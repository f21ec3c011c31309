package bench

import (
	"testing"

	"zkbench/internal/runfolders/runfolderstest"
)

func TestMain(m *testing.M) { runfolderstest.Main(m) }
