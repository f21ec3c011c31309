package workloads

import (
	"math/rand/v2"
	"strconv"
	"time"
)

// worker is one simulated client: a session and the state its ops need.
// Only its own goroutine touches it.
type worker struct {
	id     int
	conn   Conn
	r      *rand.Rand
	ops    picker
	keys   *keyPicker
	values *values
	layout *layout
	multiN int

	dir   string    // the folder for the nodes it creates
	owned []string  // nodes it created and has not deleted, oldest first
	seq   int       // names its persistent and ephemeral nodes
	multi []MultiOp // reused by every multi

	// The last setData's key and the version it gave it (-1: the target
	// does not say), for the driver's write observer.
	versioned VersionedConn // conn, when it says versions; nil else
	setKey    string
	setVer    int32

	// Accounting of the measured phase, read by the driver once the
	// worker has stopped.
	shard      *shard
	started    int64         // ops begun
	unfinished int64         // ops begun whose reply came too late to count
	lastEnd    time.Duration // when the last recorded op ended (plan's clock)
	// busy is the open loop's measured ops' time from their start to
	// their reply: the session was taken, and due ops waited for another.
	busy time.Duration
}

// part is the clients and keys of a driver's share: client numbers
// count from the workload's first client, whichever driver runs them,
// so that folders and random streams differ from every other driver's.
type part struct {
	clientLo     int // the driver's first client
	keyLo, keyHi int // its keys, [keyLo, keyHi)
}

// newWorker is client id of s in the driver's part p; s.Clients are the
// driver's clients.
func newWorker(id int, conn Conn, s *Spec, l *layout, v *values, p part) *worker {
	r := rand.New(rand.NewPCG(s.Seed, uint64(id)))
	w := &worker{
		id: id, conn: conn, r: r,
		ops:    newPicker(s.Mix),
		keys:   newKeyPicker(s.KeyDist, p.keyLo, p.keyHi, id-p.clientLo, s.Clients, r),
		values: v, layout: l, multiN: s.MultiSize,
		dir: l.clientDir(id),
	}
	w.versioned, _ = conn.(VersionedConn)
	return w
}

// next picks the next op. A delete needs a node of the client's own; with
// none left it becomes a create, so that every mix keeps issuing ops and
// a create-delete client does not fail half its deletes.
func (w *worker) next() Op {
	op := w.ops.pick(w.r.Float64())
	if op == OpDelete && len(w.owned) == 0 {
		return OpCreate
	}
	return op
}

// do issues one op and waits for its reply.
func (w *worker) do(op Op) error {
	switch op {
	case OpCreate:
		return w.create(Persistent, "n")
	case OpCreateSequential:
		return w.create(Sequential, "s-")
	case OpCreateEphemeral:
		return w.create(Ephemeral, "e")
	case OpDelete:
		oldest := w.owned[0]
		// Forget it even if the delete fails: retrying a node that cannot
		// be deleted would turn every later delete into the same error.
		w.owned = w.owned[1:]
		return w.conn.Delete(oldest, AnyVersion)
	case OpSetData:
		w.setKey, w.setVer = w.key(), -1
		if w.versioned != nil {
			var err error
			w.setVer, err = w.versioned.SetDataVersion(w.setKey, w.values.next(w.r), AnyVersion)
			return err
		}
		return w.conn.SetData(w.setKey, w.values.next(w.r), AnyVersion)
	case OpGetData:
		_, err := w.conn.GetData(w.key())
		return err
	case OpExists:
		_, err := w.conn.Exists(w.key())
		return err
	case OpGetChildren:
		_, err := w.conn.GetChildren(w.layout.parent(w.keys.pick()))
		return err
	case OpMulti:
		return w.multiSet()
	case OpWatch:
		return w.watch()
	}
	panic("workloads: no such op " + op.String())
}

func (w *worker) key() string { return w.layout.keys[w.keys.pick()] }

// create makes a node in the client's folder. Sequential names get their
// number from the server, the others from the client.
func (w *worker) create(mode CreateMode, prefix string) error {
	path := w.dir + "/" + prefix
	if mode != Sequential {
		w.seq++
		path += strconv.Itoa(w.seq)
	}
	name, err := w.conn.Create(path, w.values.next(w.r), mode)
	if err == nil {
		w.owned = append(w.owned, name)
	}
	return err
}

// multiSet sets multiN keys in one transaction.
func (w *worker) multiSet() error {
	w.multi = w.multi[:0]
	for range w.multiN {
		w.multi = append(w.multi, MultiOp{Kind: MultiSetData, Path: w.key(), Data: w.values.next(w.r), Version: AnyVersion})
	}
	return w.conn.Multi(w.multi...)
}

// watch leaves a data watch on a key, sets the key and waits for the
// notification: the op's latency is the whole round, the time a watcher
// learns of a change it is waiting for.
func (w *worker) watch() error {
	key := w.key()
	_, fired, err := w.conn.GetDataW(key)
	if err != nil {
		return err
	}
	if err := w.conn.SetData(key, w.values.next(w.r), AnyVersion); err != nil {
		return err
	}
	return <-fired
}
