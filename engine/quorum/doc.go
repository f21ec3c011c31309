// Package quorum is ZooKeeper 3.8's replication protocol (ZAB) as a
// deterministic state machine, one Peer per ensemble member (voter or
// observer), in the style of go.etcd.io/raft's RawNode: the Peer does no
// I/O, starts no goroutines, reads no clock (time is Tick calls) and uses
// no randomness but Config.Rand. It says what to log, apply, truncate,
// snapshot, persist and send; the member runtime does it.
//
// What it covers, each part modelled on the ZooKeeper class named:
//
//   - FastLeaderElection: notifications (wire format of buildMsg, all three
//     historical sizes decoded), votes ordered by (peer epoch, zxid, id),
//     logical clocks, finalizeWait, exponential resend back-off, the
//     out-of-election path that lets a restarted member join a running
//     leader without an election, observers that look but never vote.
//   - Leader/LearnerHandler: FOLLOWERINFO/OBSERVERINFO, new epoch = max
//     accepted epoch of a connecting quorum + 1, LEADERINFO, ACKEPOCH
//     quorum ("follower is ahead" check), per-learner sync chosen by
//     syncFollower/queueCommittedProposals exactly (DIFF, TRUNC+DIFF, TRUNC,
//     SNAP, empty DIFF, new-epoch zxids, the refusal to TRUNC across an
//     epoch), outstanding proposals forwarded after the sync, NEWLEADER
//     quorum, UPTODATE; proposals, in-order commit on a voter quorum,
//     COMMIT to followers and INFORM to observers, pings every tickTime/2,
//     the synced-quorum check every tickTime, SyncLimitCheck (a follower
//     that does not ACK within syncLimit is dropped), zxid rollover.
//   - Learner/Follower/Observer: registerWithLeader, syncWithLeader with
//     its two ways to receive txns (logged for DIFF; applied directly and
//     kept by a snapshot at NEWLEADER for SNAP/TRUNC), ACKs after the log
//     sync, read timeouts of initLimit/syncLimit.
//   - ZooKeeperServer.shutdown(false): a member leaving FOLLOWING/LEADING
//     applies what it logged but had not applied (EventFastForward); a new
//     leader writes a snapshot (loadData); the committed window
//     (ZKDatabase.committedLog, CommitLogCount).
//
// # Driving a Peer
//
// One goroutine owns a Peer. Build it with New from what persist restored
// (Durable), then loop:
//
//	for p.HasReady() {
//		rd := p.Ready()
//		// 1 Truncate / Reload   cut the log and/or rebuild the tree from disk
//		// 2 LoadSnapshot        replace the tree
//		// 3 Append              write to the txn log; fsync (may finish later)
//		// 4 Commit              apply to the tree, in order
//		// 5 LastProcessedZxid   set the tree's lastProcessedZxid
//		// 6 TakeSnapshot        write a snapshot (fsync it if Sync)
//		// 7 SaveAcceptedEpoch, SaveCurrentEpoch: write the epoch files durably
//		// 8 Messages            send, FIFO per destination; fill SNAP data
//		// 9 Requests            hand forwarded writes to the request pipeline
//		p.Advance()
//	}
//
// and call, from the same goroutine: Step for every message received (and
// a MsgLinkDown when a connection to a member breaks), Tick every
// Config.TickMs, Logged(zxid) when the log is durable up to zxid, and —
// on the leader — NextZxid/Propose for every prepared write. The rules
// that matter for correctness:
//
//   - Persist the epoch files before sending any message of the same Ready
//     (LEADERINFO, ACKEPOCH, NEWLEADER and its ACK rely on them).
//   - Report Logged only for what is durable (fsynced, or written with
//     forceSync=no); the Peer ACKs, counts its own vote and moves epochs on
//     it. The fsync may complete after Advance; nothing else may.
//   - Apply Commit in order; a Commit entry was always handed out in an
//     Append first (the same or an earlier Ready), except while a learner
//     syncs by SNAP/TRUNC, when txns are applied directly and then kept by
//     the snapshot the same sync requests.
//   - Truncate(z): cut the log after z, delete snapshots newer than z, and
//     rebuild the tree from the newest remaining snapshot plus the log; its
//     lastProcessedZxid is z. Reload: rebuild the tree the same way without
//     cutting (a SNAP/TRUNC sync broke off before its snapshot was written).
//     Finish (or abandon) earlier appends first.
//   - A SNAP message leaves with Data nil: serialize the tree as it is after
//     this Ready's Commit, as ZooKeeper streams it after the SNAP header.
//   - Deliver messages in order per destination and drop a learner
//     connection's packets once it broke (Message.Conn tells connections
//     apart); messages to a member that restarted are lost, as with TCP.
//   - Ready's slices are reused after Advance: copy what must outlive it.
//
// # Where this differs from ZooKeeper 3.8, and why
//
// Safety fixes that do not change which files are written:
//
//   - A learner acknowledges NEWLEADER only once everything the sync gave it
//     is durable, and raises currentEpoch only once everything before that
//     epoch is durable, one epoch at a time (ZooKeeper sets currentEpoch
//     first and ACKs before the fsync: ZOOKEEPER-4643, -4646). The log
//     therefore never holds a zxid of an epoch newer than currentEpoch,
//     which persist.LoadEpochs would refuse.
//   - A leader counts itself for NEWLEADER once its own log is durable.
//   - When a learner syncs again, its earlier ACKs of the proposals it is
//     sent again no longer count (a TRUNC may just have removed them).
//   - Txns a learner applies directly during a SNAP/TRUNC sync are added to
//     the committed window (ZooKeeper leaves a hole there that can make a
//     later leader TRUNC+DIFF past txns it never sends).
//   - A SNAP/TRUNC sync that breaks off before its snapshot is written makes
//     the runtime reload the tree from disk (ZooKeeper keeps the
//     half-synced tree and may log on top of a snapshot it never wrote).
//     A TRUNC into txns that only such a sync's snapshot holds rolls the
//     member back to its state before that sync and syncs again
//     (EventRollback; ZooKeeper fails "No log files found to truncate" or
//     reloads that snapshot and claims the TRUNC's zxid).
//   - An observer never answers a voter's notification: a voter only ever
//     replies to observers, and ZooKeeper's pair can bounce notifications
//     back and forth while the voter is LOOKING.
//   - A LinkDown from a follower makes the leader re-check its synced quorum
//     at once rather than at the next tick.
//
// Dynamic reconfiguration, in part: Config.Membership tells the Peer which
// txns are reconfigs and what membership they make. A reconfig proposal,
// and every proposal made while it is pending, commits on a quorum of the
// old voters and one of the new (qvAcksetPairs); followers get
// COMMITANDACTIVATE, observers INFORMANDACTIVATE, and whoever applies a
// reconfig (in broadcast, during a sync, or fast-forwarding) takes its
// membership then. A follower that became an observer, or an observer
// that became a voter, goes back to LOOKING and comes back in its new
// role; a removed member keeps following without a vote; a leader that is
// no longer a voter steps down at its next tick, once the commit is
// applied and answered, and the voters elect another (ZooKeeper
// designates a follower, COMMITANDACTIVATE naming it; here it names
// none, 0, when the leader leaves). With
// Membership set, a server in no configuration may look for the leader
// and connect to it (it is given a slot, up to MaxVoters in all) as a
// non-voting follower, ZooKeeper's joiner: it gets proposals, and its
// ACKs (kept by slot) count toward the quorum of a pending reconfig that
// makes it a voter, and toward nothing else. A learner synced by a SNAP
// gets no reconfig txn: the runtime puts the leader's configuration into
// NEWLEADER's data, as ZooKeeper does, and a learner's runtime hands a
// newer one to Reconfigured at UPTODATE. Not there: the leader's
// configuration there is the last committed one, never one proposed and
// not committed, so a reconfig left uncommitted by a failed leader is
// committed by the next one like any txn, on its quorum alone.
//
// Left out: session revalidation and SYNC (the runtime's), the learner master/
// observer-master path, weights and hierarchical quorums (majority of
// Voters only), and Oracle for two-member ensembles. The window is
// ZKDatabase.committedLog: CommitLogCount txns (default 500), filled from
// Durable.Recent on start; a learner older than it is DIFFed from the
// on-disk txn log when the runtime gives Config.TxnLog (whose reader
// applies zookeeper.snapshotSizeFactor's limit), else it gets a SNAP;
// unlike ZooKeeper, not from below the snapshot the member restored or
// was SNAP-synced with, where its log may be of a replaced branch. A
// SNAP message leaves the Peer without data: the runtime serializes the
// tree, and must send the packets the Peer queues for that learner after
// it (a fuzzy snapshot the learner repairs by replaying them).
//
// A note on TRUNC: with a correct history the committed window never skips
// a txn the learner has, so TRUNC+DIFF is rare; a member that led an epoch,
// logged a txn alone and comes back after a newer epoch committed anything
// gets a SNAP, not a TRUNC, because the TRUNC would cross an epoch
// (queueCommittedProposals, LearnerHandlerTest.testCrossEpochTrunc). Plain
// TRUNC happens when the new leader has committed nothing newer yet.
package quorum
