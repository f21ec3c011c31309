// Package engine is a ZooKeeper 3.8-compatible ensemble inside one
// process: voting members and observers, each with its own dataDir and
// dataLogDir, replicating through ZAB (package quorum) over jute-encoded
// peer frames, logging with preallocation and group commit (txnlog),
// snapshotting in the background at a randomized snapCount (persist, snap),
// and answering clients through ZooKeeper's request pipeline (server).
//
// A member is a runtime around a quorum.Peer, the way etcd's raft node is
// a runtime around raft's state machine: one goroutine owns the Peer and
// carries out each Ready in order — rebuild the tree (TRUNC, SNAP),
// append to the log (synced by the log's own goroutine, which reports
// back), apply committed txns and answer the clients waiting for them,
// persist the epoch files, send frames. A SNAP's tree is serialized by a
// goroutine while the leader commits on, the learner's later packets held
// behind it (member.go), as ZooKeeper's LearnerHandler does; a DIFF from
// the txn log for a learner older than the committed window is read on
// the loop through quorum.TxnLog (store.go), as ZooKeeper reads it under
// the lock its commits take. The leader prepares writes
// (PrepRequestProcessor) and proposes them; learners forward their
// clients' writes and syncs to it. Reads are answered on the client's
// goroutine from the member's own tree, which is safe to read while the
// member applies.
//
// Clients come in two ways. Client is the in-process API: a session held
// by Go code, one call per request. ServeClients and ListenClients open a
// member's client port, the server side of ZooKeeper's wire protocol:
// each accepted connection (portConn) decodes requests and carries its
// session as a Client. Either way a session sees its member only through
// the host interface, and the member its sessions only as attached ones
// (host.go). In a member, the runtime (member.go) carries out the Peer's
// Readys; the request pipeline (pipeline.go) prepares, forwards and
// answers requests.
//
// What a measurement needs to see is published on one Sink: every log
// sync (duration, bytes, txns), log rolls, preallocation steps, snapshot
// windows, elections, learner syncs with their mode, members going down
// and coming up. Faults are injected at the seams: Config.FS gives each
// member its file system (faultfs simulates power loss on CrashMember),
// the in-process transport partitions links and adds latency. A member
// whose disk fails it (a log write or sync, a foreground snapshot, an
// epoch file; a full disk, say) stops, as a ZooKeeper server does, and
// the others carry on; Ensemble.Failure tells whoever needs the whole
// ensemble.
//
// Sessions follow ZooKeeper: createSession and closeSession are txns; the
// leader tracks every session's deadline, refreshed by its own clients
// and by the touches learners report in their PING replies, and expires
// a session with a closeSession that removes its ephemerals. A connected
// Client keeps its session alive as a client library's pings would.
//
// Dynamic reconfiguration (Config.ReconfigEnabled) removes members, turns
// followers into observers and back, and adds members Ensemble.AddMember
// started; a leader it removes or demotes steps down and the voters elect
// another (ZooKeeper designates one). Not modelled: local
// sessions, read-only mode, SASL and quotas. A forwarded request carries its session's auth ids
// (QuorumPacket.authinfo), so the leader checks ACLs as ZooKeeper's does.
package engine
