package workloads

import (
	"fmt"
	"strings"
)

// Op is one kind of operation a workload issues. Its String is the name
// results and .hlog files use, ZooKeeper's own where ZooKeeper has one.
type Op uint8

// What each op does is in worker.go: reads and setData go to the keys
// preloaded under the workload's root, creates and deletes to a folder of
// the client's own.
const (
	OpCreate           Op = iota // a persistent node of the client's own
	OpCreateSequential           // a persistent sequential node
	OpCreateEphemeral            // an ephemeral node, gone with the session
	OpDelete                     // the oldest node the client created
	OpSetData                    // a key's data
	OpGetData                    // a key's data
	OpExists                     // a key
	OpGetChildren                // a key's parent
	OpMulti                      // setData on multiSize keys, atomically
	OpWatch                      // watch a key, set it, wait for the notification
	numOps
)

var opNames = [numOps]string{
	"create", "createSequential", "createEphemeral", "delete", "setData",
	"getData", "exists", "getChildren", "multi", "watch",
}

func (o Op) String() string {
	if o < numOps {
		return opNames[o]
	}
	return fmt.Sprintf("Op(%d)", o)
}

// IsWrite reports whether o changes the tree (it becomes a txn that is
// logged and synced): the ops a snapshot stall is measured on.
func (o Op) IsWrite() bool {
	switch o {
	case OpCreate, OpCreateSequential, OpCreateEphemeral, OpDelete, OpSetData, OpMulti:
		return true
	}
	return false
}

// Ops lists every op, in a fixed order.
func Ops() []Op {
	ops := make([]Op, numOps)
	for i := range ops {
		ops[i] = Op(i)
	}
	return ops
}

// ParseOp reads an op name. Case, dashes and underscores are ignored, so
// "create-sequential" is createSequential; "watch-and-trigger" is watch.
func ParseOp(s string) (Op, error) {
	norm := func(s string) string {
		return strings.ToLower(strings.NewReplacer("-", "", "_", "").Replace(s))
	}
	n := norm(s)
	if n == "watchandtrigger" {
		return OpWatch, nil
	}
	for i, name := range opNames {
		if norm(name) == n {
			return Op(i), nil
		}
	}
	return 0, fmt.Errorf("unknown op %q (want one of %s)", s, strings.Join(opNames[:], ", "))
}
