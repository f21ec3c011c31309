package zkfixtures

import (
	"os"
	"path/filepath"
	"testing"
)

func TestDirHoldsEveryScenario(t *testing.T) {
	for _, s := range []string{"standalone", "quorum1", "ensemble3/server1", "ensemble3/server2", "ensemble3/server3", "corrupt"} {
		if fi, err := os.Stat(filepath.Join(Dir(), s)); err != nil || !fi.IsDir() {
			t.Errorf("scenario %s: %v", s, err)
		}
	}
}
