// Package embedded is the workload target for zkbench's own in-process
// ensemble: each session is an engine.Client on one member, the members
// taken in turn as a client population spread over a connect string
// would be.
package embedded

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"zkbench/engine"
	"zkbench/engine/jute"
	"zkbench/workloads"
)

// Target opens sessions on an ensemble's members, round robin.
type Target struct {
	e       *engine.Ensemble
	members []uint64
	next    atomic.Uint64
}

// New returns a target for e.
func New(e *engine.Ensemble) *Target {
	return &Target{e: e, members: e.Members()}
}

// Connect opens a session on the next member that accepts one.
func (t *Target) Connect(ctx context.Context) (workloads.Conn, error) {
	var last error
	for range t.members {
		id := t.members[int(t.next.Add(1)-1)%len(t.members)]
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		c, err := t.e.Client(id)
		if err == nil {
			return &conn{c: c}, nil
		}
		last = err
	}
	return nil, mapErr(last)
}

// conn adapts an engine.Client. The engine's tree keeps the byte slices a
// write carries, as a server keeps what it deserialized: data is copied
// on the way in, as a network client's serialization would.
type conn struct {
	c *engine.Client

	mu      sync.Mutex
	watches map[string][]chan error
	pumping bool
}

func (c *conn) Create(path string, data []byte, mode workloads.CreateMode) (string, error) {
	p, err := c.c.Create(path, bytes.Clone(data), int32(mode), engine.OpenACL)
	return p, mapErr(err)
}

func (c *conn) Delete(path string, version int32) error {
	return mapErr(c.c.Delete(path, version))
}

func (c *conn) SetData(path string, data []byte, version int32) error {
	_, err := c.SetDataVersion(path, data, version)
	return err
}

// SetDataVersion is SetData with the version it gave the node.
func (c *conn) SetDataVersion(path string, data []byte, version int32) (int32, error) {
	st, err := c.c.SetData(path, bytes.Clone(data), version)
	return st.Version, mapErr(err)
}

func (c *conn) GetData(path string) ([]byte, error) {
	d, _, err := c.c.GetData(path, false)
	return d, mapErr(err)
}

func (c *conn) GetDataW(path string) ([]byte, <-chan error, error) {
	ch := make(chan error, 1)
	c.mu.Lock()
	if c.watches == nil {
		c.watches = map[string][]chan error{}
	}
	c.watches[path] = append(c.watches[path], ch)
	if !c.pumping {
		c.pumping = true
		go c.pump(c.c.Watches())
	}
	c.mu.Unlock()
	d, _, err := c.c.GetData(path, true)
	if err != nil {
		c.mu.Lock()
		c.watches[path] = removeChan(c.watches[path], ch)
		c.mu.Unlock()
		return nil, nil, mapErr(err)
	}
	return d, ch, nil
}

func removeChan(s []chan error, ch chan error) []chan error {
	for i, x := range s {
		if x == ch {
			return append(s[:i], s[i+1:]...)
		}
	}
	return s
}

// pump hands each notification to the GetDataW calls waiting on its path;
// when the session ends, the waiters learn the watch is lost.
func (c *conn) pump(events <-chan engine.WatchEvent) {
	for ev := range events {
		if ev.Type != engine.EventNodeDataChanged && ev.Type != engine.EventNodeDeleted {
			continue
		}
		c.mu.Lock()
		waiting := c.watches[ev.Path]
		delete(c.watches, ev.Path)
		c.mu.Unlock()
		for _, ch := range waiting {
			ch <- nil
		}
	}
	c.mu.Lock()
	for p, waiting := range c.watches {
		for _, ch := range waiting {
			ch <- workloads.ErrClosed
		}
		delete(c.watches, p)
	}
	c.mu.Unlock()
}

func (c *conn) Exists(path string) (bool, error) {
	_, ok, err := c.c.Exists(path, false)
	return ok, mapErr(err)
}

func (c *conn) GetChildren(path string) ([]string, error) {
	kids, err := c.c.GetChildren(path, false)
	return kids, mapErr(err)
}

func (c *conn) Multi(ops ...workloads.MultiOp) error {
	jops := make([]jute.Op, len(ops))
	for i, op := range ops {
		jops[i] = multiOp(op)
	}
	_, err := c.c.Multi(jops...)
	return mapErr(err)
}

func multiOp(op workloads.MultiOp) jute.Op {
	switch op.Kind {
	case workloads.MultiCreate:
		return jute.Op{Type: jute.OpCreate, Record: &jute.CreateRequest{Path: op.Path, Data: bytes.Clone(op.Data), ACL: engine.OpenACL, Flags: int32(op.Mode)}}
	case workloads.MultiDelete:
		return jute.Op{Type: jute.OpDelete, Record: &jute.DeleteRequest{Path: op.Path, Version: op.Version}}
	case workloads.MultiSetData:
		return jute.Op{Type: jute.OpSetData, Record: &jute.SetDataRequest{Path: op.Path, Data: bytes.Clone(op.Data), Version: op.Version}}
	}
	return jute.Op{Type: jute.OpCheck, Record: &jute.CheckVersionRequest{Path: op.Path, Version: op.Version}}
}

func (c *conn) Close() error { return mapErr(c.c.Close()) }

// mapErr turns the engine's codes into the workload's sentinels.
func mapErr(err error) error {
	var code engine.Code
	switch {
	case err == nil:
		return nil
	case errors.Is(err, engine.ErrClosed):
		return workloads.ErrClosed
	case errors.As(err, &code):
		return workloads.CodeError(int32(code))
	}
	return err
}
