// Package datatree is ZooKeeper 3.8's in-memory DataTree: znodes with their
// persisted stat, the reference-counted ACL cache, the session table with
// each session's ephemerals, the container and TTL sets, the tree digest
// and the one-shot watches.
//
// # Fidelity
//
// Apply reproduces DataTree.processTxn exactly, including the parts that
// only show on disk: ACL references are numbered like
// ReferenceCountedACLCache's, parents' cversion/pzxid move only forward, a
// delete advances the parent's pzxid but not its cversion, a failed multi
// changes nothing, and the tolerant replay rules (create of an existing
// node, delete of a missing one) report ZooKeeper's error code without
// failing. The tree digest (version 2, CRC-32 per node, wrapping sum) is
// kept incrementally, so the digest after every txn can be compared with
// the TxnDigest ZooKeeper logged; the tests do this for every txn of the
// 3.8.0 fixtures and compare the replayed trees with the fixture snapshots.
//
// # Concurrency
//
// One goroutine applies txns (Apply) or builds a tree from a snapshot
// (Loader). Reads (GetData, Exists, GetChildren, GetACL, Lookup), snapshot
// walks (Walk, ACLs, Sessions, LastDigest) and the reaper's ReapCandidates
// may run on any goroutine at the same time. Nodes are spread over
// independently locked shards and each node is read or changed under its
// shard's lock only, so a snapshot walk never stops the writer: like
// ZooKeeper's, snapshots are fuzzy and replaying the log from the
// snapshot's zxid repairs them.
//
// # Memory
//
// A znode costs about 210 bytes beyond its path and data (96-byte node, its
// entry in the node map and in its parent's children set); see
// BenchmarkMemoryPerZnode.
package datatree
