package snap_test

import (
	"fmt"
	"os"
	"path/filepath"

	"zkbench/engine/disk"
	"zkbench/engine/jute"
	"zkbench/engine/snap"
)

// A tree streams its walk into WriteFile; recovery picks the newest
// snapshot that loads and streams it back.
func Example() {
	dir, _ := os.MkdirTemp("", "snap-example")
	defer os.RemoveAll(dir)

	res, err := snap.WriteFile(disk.OS, dir, 0x9f, snap.Options{}, func(w *snap.Writer) (*snap.Digest, error) {
		w.WriteSessions(nil) // []snap.Session{{ID: 0x100000a63380001, Timeout: 4000}, ...}
		w.WriteACLs([]snap.ACLEntry{{Ref: 1, ACL: jute.ReadACL}})
		for _, n := range []snap.Node{
			{Path: "", ACLRef: snap.OpenACLRef},
			{Path: "/zookeeper", ACLRef: snap.OpenACLRef},
			{Path: "/zookeeper/config", ACLRef: 1, Stat: jute.StatPersisted{Aversion: -1}},
			{Path: "/zookeeper/quota", ACLRef: snap.OpenACLRef},
		} {
			if err := w.WriteNode(&n); err != nil {
				return nil, err
			}
		}
		// The digest block is taken when the walk ends.
		return &snap.Digest{Zxid: 0, Version: jute.DigestVersion, Value: 0}, nil
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	// The empty tree: byte for byte ZooKeeper's fresh snapshot.0 (docs/zk-disk-format.md §3.8).
	fmt.Println(filepath.Base(res.Path), res.Bytes, "bytes,", res.Nodes, "nodes")

	var paths []string
	var info snap.Info
	choice, err := snap.Pick(disk.OS, dir, func(path string) error {
		paths = paths[:0] // a failed candidate's partial load is thrown away
		var err error
		info, err = snap.ReadFile(disk.OS, path, snap.Handler{
			Node: func(n snap.Node) error { paths = append(paths, n.Path); return nil },
		})
		return err
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("picked %s (zxid %#x), %d skipped\n", choice.Name, choice.Zxid, len(choice.Skipped))
	fmt.Printf("%q, digest %+v\n", paths, *info.Digest)
	// Output:
	// snapshot.9f 457 bytes, 4 nodes
	// picked snapshot.9f (zxid 0x9f), 0 skipped
	// ["" "/zookeeper" "/zookeeper/config" "/zookeeper/quota"], digest {Zxid:0 Version:2 Value:0}
}
