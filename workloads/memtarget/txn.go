package memtarget

import (
	"fmt"
	"strings"

	"zkbench/workloads"
)

// txn applies changes to the tree, under its lock, and remembers how to
// undo each, so that a failed multi leaves no trace.
type txn struct {
	t       *Target
	session *conn
	undo    []func()
	changed []string // paths whose data watches fire if the txn commits
}

func (tx *txn) rollback() {
	for i := len(tx.undo) - 1; i >= 0; i-- {
		tx.undo[i]()
	}
}

func (tx *txn) create(path string, data []byte, mode workloads.CreateMode) (string, error) {
	sequential := mode == workloads.Sequential || mode == workloads.EphemeralSequential
	ephemeral := mode == workloads.Ephemeral || mode == workloads.EphemeralSequential
	if mode < workloads.Persistent || mode > workloads.Container {
		return "", workloads.ErrBadArguments
	}
	if err := checkPath(path, sequential); err != nil {
		return "", err
	}
	parentPath, _ := parentOf(path)
	parent, ok := tx.t.nodes[parentPath]
	switch {
	case !ok:
		return "", workloads.ErrNoNode
	case parent.owner != nil:
		return "", workloads.ErrNoChildrenForEphemerals
	}
	if sequential {
		// ZooKeeper numbers a sequential node with its parent's cversion.
		path += fmt.Sprintf("%010d", parent.cversion)
	}
	if _, ok := tx.t.nodes[path]; ok {
		return "", workloads.ErrNodeExists
	}
	_, name := parentOf(path)
	n := &node{data: clone(data), children: map[string]struct{}{}}
	if ephemeral {
		n.owner = tx.session
		tx.session.ephemerals[path] = struct{}{}
	}
	tx.t.nodes[path] = n
	parent.children[name] = struct{}{}
	parent.cversion++
	tx.undo = append(tx.undo, func() {
		delete(tx.t.nodes, path)
		delete(parent.children, name)
		parent.cversion--
		if n.owner != nil {
			delete(n.owner.ephemerals, path)
		}
	})
	return path, nil
}

func (tx *txn) delete(path string, version int32) error {
	if path == "/" {
		return workloads.ErrBadArguments
	}
	n, err := tx.node(path, version)
	if err != nil {
		return err
	}
	if len(n.children) > 0 {
		return workloads.ErrNotEmpty
	}
	parentPath, name := parentOf(path)
	parent := tx.t.nodes[parentPath]
	delete(tx.t.nodes, path)
	delete(parent.children, name)
	parent.cversion++
	if n.owner != nil {
		delete(n.owner.ephemerals, path)
	}
	tx.changed = append(tx.changed, path)
	tx.undo = append(tx.undo, func() {
		tx.t.nodes[path] = n
		parent.children[name] = struct{}{}
		parent.cversion--
		if n.owner != nil {
			n.owner.ephemerals[path] = struct{}{}
		}
	})
	return nil
}

func (tx *txn) setData(path string, data []byte, version int32) error {
	_, err := tx.setDataVersion(path, data, version)
	return err
}

// setDataVersion is setData with the node's new version.
func (tx *txn) setDataVersion(path string, data []byte, version int32) (int32, error) {
	n, err := tx.node(path, version)
	if err != nil {
		return -1, err
	}
	old, oldVersion := n.data, n.version
	n.data = clone(data)
	n.version++
	tx.changed = append(tx.changed, path)
	tx.undo = append(tx.undo, func() { n.data, n.version = old, oldVersion })
	return n.version, nil
}

func (tx *txn) getData(path string) ([]byte, error) {
	n, err := tx.node(path, workloads.AnyVersion)
	if err != nil {
		return nil, err
	}
	return clone(n.data), nil
}

func (tx *txn) multiOp(op workloads.MultiOp) error {
	switch op.Kind {
	case workloads.MultiCreate:
		_, err := tx.create(op.Path, op.Data, op.Mode)
		return err
	case workloads.MultiDelete:
		return tx.delete(op.Path, op.Version)
	case workloads.MultiSetData:
		return tx.setData(op.Path, op.Data, op.Version)
	case workloads.MultiCheck:
		_, err := tx.node(op.Path, op.Version)
		return err
	}
	return workloads.ErrBadArguments
}

// node returns path's node if its version matches.
func (tx *txn) node(path string, version int32) (*node, error) {
	n, ok := tx.t.nodes[path]
	switch {
	case !ok:
		return nil, workloads.ErrNoNode
	case version != workloads.AnyVersion && version != n.version:
		return nil, workloads.ErrBadVersion
	}
	return n, nil
}

// checkPath accepts what ZooKeeper's PathUtils.validatePath does, minus
// its Unicode ranges; a sequential create's path may end with "/", the
// number completing the name.
func checkPath(path string, sequential bool) error {
	if sequential {
		path += "1"
	}
	if path == "/" {
		return nil
	}
	if !strings.HasPrefix(path, "/") || strings.HasSuffix(path, "/") {
		return workloads.ErrBadArguments
	}
	for _, part := range strings.Split(path[1:], "/") {
		if part == "" || part == "." || part == ".." || strings.ContainsRune(part, 0) {
			return workloads.ErrBadArguments
		}
	}
	return nil
}

func clone(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return append([]byte(nil), b...)
}
