package fsprobe

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"zkbench/engine/disk"
)

const (
	// A snapshot is written through a buffered stream in large writes and
	// synced when done; a long one leaves the page cache to write back on
	// its own schedule. The background writer stands in for it: chunks of
	// up to backgroundChunk, an fdatasync every backgroundSyncBytes or
	// backgroundSyncEvery, whichever comes first.
	backgroundChunk     = 1 << 20
	backgroundSyncBytes = 16 << 20
	backgroundSyncEvery = time.Second
	// backgroundFileLimit bounds the writer's file: at this length it is
	// removed and a new one started, as each snapshot is a new file and old
	// ones are purged.
	backgroundFileLimit = 256 << 20
	// backgroundMaxBacklog bounds how far behind its rate the writer may
	// fall (on a device slower than the rate) and later catch up in a
	// burst.
	backgroundMaxBacklog = time.Second
)

// background is a writer streaming into a directory at a fixed rate.
type background struct {
	fsys   disk.FS
	dir    string
	rate   int64
	cancel context.CancelFunc

	started chan struct{} // closed after the first sync
	done    chan struct{} // closed when the writer has stopped and cleaned up
	err     error         // set before done is closed

	bytes atomic.Int64
	syncs atomic.Int64
}

func startBackground(ctx context.Context, fsys disk.FS, dir string, rate int64) (*background, error) {
	name, f, err := createScratch(fsys, dir, false)
	if err != nil {
		return nil, fmt.Errorf("background writer: create scratch file in %s: %w", dir, err)
	}
	ctx, cancel := context.WithCancel(ctx)
	b := &background{
		fsys: fsys, dir: dir, rate: rate, cancel: cancel,
		started: make(chan struct{}), done: make(chan struct{}),
	}
	go b.loop(ctx, name, f)
	return b, nil
}

// waitStarted waits until the writer has written and synced once, so that
// the log is measured against a writer in its steady state: streaming and
// forcing its dirty pages out, which is what contends with the log.
func (b *background) waitStarted(ctx context.Context) error {
	select {
	case <-b.started:
		return nil
	case <-b.done:
		return b.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// stop stops the writer, waits until its file is removed and returns the
// first error it met.
func (b *background) stop() error {
	b.cancel()
	<-b.done
	return b.err
}

// chunkSize keeps about 16 writes a second at low rates, so that the
// writer streams rather than bursts once every few seconds.
func chunkSize(rate int64) int {
	c := min(rate/16, backgroundChunk)
	c -= c % 4096
	return int(max(c, 4096))
}

func (b *background) loop(ctx context.Context, name string, f disk.File) {
	defer close(b.done)
	fail := func(err error) {
		if b.err == nil {
			b.err = fmt.Errorf("background writer in %s: %w", b.dir, err)
		}
	}
	defer func() {
		if f != nil {
			if err := closeAndRemove(b.fsys, f, name); err != nil {
				fail(err)
			}
		}
	}()

	buf := randomBytes(chunkSize(b.rate), 3)
	chunk := int64(len(buf))
	start := time.Now()
	lastSync := start
	var total, inFile, unsynced int64
	wait := time.NewTimer(0)
	defer wait.Stop()
	for {
		due := start.Add(time.Duration(float64(total) / float64(b.rate) * float64(time.Second)))
		now := time.Now()
		if behind := now.Sub(due); behind > backgroundMaxBacklog {
			start = start.Add(behind - backgroundMaxBacklog)
		} else if behind < 0 {
			wait.Reset(-behind)
			select {
			case <-ctx.Done():
				return
			case <-wait.C:
			}
		}
		if ctx.Err() != nil {
			return
		}
		if inFile+chunk > backgroundFileLimit {
			err := closeAndRemove(b.fsys, f, name)
			f = nil
			if err != nil {
				fail(err)
				return
			}
			if name, f, err = createScratch(b.fsys, b.dir, false); err != nil {
				f = nil
				fail(err)
				return
			}
			inFile, unsynced = 0, 0
		}
		if _, err := f.Write(buf); err != nil {
			fail(err)
			return
		}
		total += chunk
		inFile += chunk
		unsynced += chunk
		b.bytes.Add(chunk)
		if unsynced >= backgroundSyncBytes || time.Since(lastSync) >= backgroundSyncEvery {
			if err := disk.Flush(f, disk.SyncFdatasync); err != nil {
				fail(err)
				return
			}
			if b.syncs.Add(1) == 1 {
				close(b.started)
			}
			unsynced, lastSync = 0, time.Now()
		}
	}
}
