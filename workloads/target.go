package workloads

import "context"

// A Target is a ZooKeeper-compatible service the driver can open sessions
// with: the embedded ensemble, a real ZooKeeper (workloads/zktarget) or the
// in-memory tree the tests use (workloads/memtarget).
type Target interface {
	// Connect opens one session. It returns once the session is usable, or
	// with an error when ctx ends or the service cannot be reached. ctx
	// bounds the connecting only; the session lives until Close.
	Connect(ctx context.Context) (Conn, error)
}

// A Conn is one ZooKeeper session. Its methods mirror ZooKeeper's client
// operations and block until the reply. The driver gives each simulated
// client its own Conn and calls it from one goroutine at a time, except
// Close, which may be called while another call is in flight and must make
// that call return.
//
// Data passed in is only read during the call and may be reused by the
// caller afterwards. Errors are this package's sentinels (ErrNoNode, …),
// possibly wrapped; CodeError maps ZooKeeper's numeric codes onto them.
type Conn interface {
	// Create creates path and returns its name: for a sequential mode,
	// path with the sequence number ZooKeeper appended.
	Create(path string, data []byte, mode CreateMode) (string, error)
	// Delete deletes path if its version matches (AnyVersion: any).
	Delete(path string, version int32) error
	// SetData replaces path's data if its version matches.
	SetData(path string, data []byte, version int32) error
	GetData(path string) ([]byte, error)
	// GetDataW reads path and leaves a one-shot data watch on it. The
	// channel receives exactly one value: nil when the node's data changed
	// or the node was deleted, or an error when the watch was lost with
	// the session.
	GetDataW(path string) ([]byte, <-chan error, error)
	Exists(path string) (bool, error)
	GetChildren(path string) ([]string, error)
	// Multi applies ops atomically: all or none. A failed multi returns
	// the error of the op that failed.
	Multi(ops ...MultiOp) error
	// Close ends the session; its ephemeral nodes go with it.
	Close() error
}

// VersionedConn is a Conn whose setData says the version it gave the
// node (the reply's Stat), so that the driver can tell a write observer
// which version of a key was acknowledged.
type VersionedConn interface {
	SetDataVersion(path string, data []byte, version int32) (int32, error)
}

// CreateMode is the kind of node Create makes. The values are ZooKeeper's
// CreateMode flags, so an adapter passes int32(mode) through.
type CreateMode int32

const (
	Persistent          CreateMode = 0
	Ephemeral           CreateMode = 1
	Sequential          CreateMode = 2 // persistent, with a sequence number appended
	EphemeralSequential CreateMode = 3
	Container           CreateMode = 4 // removed by the server once its last child is gone
)

// AnyVersion makes Delete, SetData and a check match every version.
const AnyVersion int32 = -1

// MultiKind is the kind of one op of a Multi. The values are ZooKeeper's
// op codes (OpCode.create, delete, setData, check).
type MultiKind int32

const (
	MultiCreate  MultiKind = 1
	MultiDelete  MultiKind = 2
	MultiSetData MultiKind = 5
	MultiCheck   MultiKind = 13
)

// MultiOp is one op of a Multi. Kind says which fields matter: Path always,
// Data for create and setData, Mode for create, Version for delete,
// setData and check.
type MultiOp struct {
	Kind    MultiKind
	Path    string
	Data    []byte
	Mode    CreateMode
	Version int32
}
