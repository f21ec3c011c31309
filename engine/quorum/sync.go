package quorum

// syncPlan is what LearnerHandler.syncFollower decided for one learner.
type syncPlan struct {
	mode    SyncMode
	opZxid  int64   // zxid of the DIFF/TRUNC/SNAP packet
	entries []Entry // committed txns to send as PROPOSAL+COMMIT pairs
	// forwardFrom is the zxid startForwarding queues outstanding proposals
	// after (LearnerHandler's currentZxid).
	forwardFrom int64
}

// planSync decides how to bring a learner whose last zxid is peer up to
// date, from the committed window (ZKDatabase.committedLog) and the tree's
// lastProcessedZxid, exactly as ZooKeeper 3.8's syncFollower and
// queueCommittedProposals do, in order:
//
//   - peer == lastProcessed: empty DIFF.
//   - peer > maxCommitted (and not a bare new-epoch zxid): TRUNC to
//     maxCommitted, nothing else.
//   - minCommitted <= peer <= maxCommitted: walk the window. If peer is in
//     it, DIFF with what follows. If not, the learner has txns we never
//     committed: TRUNC to the last zxid below peer, then what follows
//     (TRUNC+DIFF) — but only within one epoch; a TRUNC across an epoch
//     boundary is refused and the learner gets a SNAP instead. A learner at
//     a bare new-epoch zxid (epoch<<32, no txn of that epoch) gets a DIFF.
//   - peer < minCommitted and the leader has a TxnLog: the txns the
//     on-disk log returns (ZKDatabase.getProposalsFromTxnLog) up to the
//     window's first, then the window, as one DIFF (or TRUNC+DIFF). If the
//     log has nothing for peer or ends before the window starts, SNAP.
//   - otherwise (older than the window, or nothing usable): SNAP.
//
// An empty window counts as [lastProcessed, lastProcessed].
func planSync(peer int64, window []Entry, lastProcessed int64, log TxnLog, logFloor int64) syncPlan {
	isNewEpoch := peer&0xffffffff == 0
	minC, maxC := lastProcessed, lastProcessed
	if len(window) > 0 {
		minC, maxC = window[0].Zxid, window[len(window)-1].Zxid
	}
	switch {
	case lastProcessed == peer:
		return syncPlan{mode: SyncDiff, opZxid: peer, forwardFrom: peer}
	case peer > maxC && !isNewEpoch:
		return syncPlan{mode: SyncTrunc, opZxid: maxC, forwardFrom: maxC}
	case minC <= peer && peer <= maxC:
		if plan, ok := queueCommitted(peer, window, maxC, maxC, isNewEpoch); ok {
			return plan
		}
	case peer < minC && log != nil:
		if plan, ok := planFromLog(peer, window, minC, maxC, isNewEpoch, log, logFloor); ok {
			return plan
		}
	}
	return syncPlan{mode: SyncSnap, opZxid: lastProcessed, forwardFrom: lastProcessed}
}

// planFromLog is syncFollower's "Use txnlog and committedLog" branch: the
// log's txns up to the window's first, then the window's. ok is false when
// the log has nothing for peer, or ends before the window begins ("Detected
// gap between end of txnlog and beginning of committedLog"): SNAP.
//
// Only the log from logFloor on is this member's history: below a sync
// snapshot's zxid the log may hold txns of a branch the SNAP replaced, and
// miss the ones it brought. ZooKeeper reads its log across such a gap; we
// send a SNAP instead when peer is below the floor, or the log from the
// floor on does not reach back to peer.
func planFromLog(peer int64, window []Entry, minC, maxC int64, isNewEpoch bool, log TxnLog, logFloor int64) (syncPlan, bool) {
	if peer < logFloor {
		return syncPlan{}, false
	}
	logged := log.ProposalsFromLog(peer, minC)
	for len(logged) > 0 && logged[0].Zxid < logFloor {
		logged = logged[1:]
	}
	if len(logged) == 0 || logged[0].Zxid > peer {
		return syncPlan{}, false
	}
	plan, ok := queueCommitted(peer, logged, minC, maxC, isNewEpoch)
	if !ok || plan.forwardFrom < minC {
		return syncPlan{}, false
	}
	for _, e := range window {
		if e.Zxid > plan.forwardFrom {
			plan.entries = append(plan.entries, e)
			plan.forwardFrom = e.Zxid
		}
	}
	return plan, true
}

// queueCommitted is queueCommittedProposals over txns (the window, or what
// the log returned) up to limit, with lastCommitted the zxid of the DIFF or
// TRUNC packet; ok is false when no DIFF/TRUNC could be chosen (the caller
// falls back to SNAP).
func queueCommitted(peer int64, txns []Entry, limit, lastCommitted int64, isNewEpoch bool) (syncPlan, bool) {
	plan := syncPlan{forwardFrom: peer}
	queued := peer
	prev := int64(-1)
	needOp := true
	for i, e := range txns {
		if e.Zxid > limit {
			break
		}
		if e.Zxid < peer {
			prev = e.Zxid
			continue
		}
		if needOp {
			if e.Zxid == peer {
				plan.mode, plan.opZxid = SyncDiff, lastCommitted
				needOp = false
				continue
			}
			if isNewEpoch {
				plan.mode, plan.opZxid = SyncDiff, lastCommitted
				needOp = false
			} else if e.Zxid > peer {
				if epochOf(e.Zxid) != epochOf(peer) {
					// "Cannot send TRUNC to peer: peer zxid is from a
					// different epoch" — the caller sends a SNAP.
					return plan, false
				}
				plan.mode, plan.opZxid = SyncTruncDiff, prev
				needOp = false
			}
		}
		if e.Zxid <= queued {
			continue
		}
		if plan.entries == nil {
			plan.entries = make([]Entry, 0, len(txns)-i)
		}
		plan.entries = append(plan.entries, e)
		queued = e.Zxid
	}
	if needOp && isNewEpoch {
		plan.mode, plan.opZxid = SyncDiff, lastCommitted
		needOp = false
	}
	plan.forwardFrom = queued
	return plan, !needOp
}
