package device

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The fastest a sync can complete when it reaches stable storage.
//
// A sync of an appended block has to carry the block to the device and
// have the device acknowledge it as stable. The fastest devices that do
// — NVMe drives with power-loss protection, Optane — take about 5 µs to
// acknowledge a 4 KiB write, and the block layer's submission and
// completion add a few µs more: 10 µs is below any sync that left the
// machine's memory. Faster syncs were answered by a cache.
//
// A rotating disk cannot complete appends faster than its platter turns:
// after one block is written the head has passed the next one's place,
// and the next sync waits most of a revolution, 4 ms at 15,000 rpm. A
// median under a quarter of that was answered by a write cache, which is
// durable only if it is battery-backed.
const (
	minStableSync     = 10 * time.Microsecond
	minRotationalSync = time.Millisecond
)

// memoryFS are the file systems that keep their files only in memory.
var memoryFS = []string{"tmpfs", "ramfs", "devtmpfs"}

// Volatile reports whether f keeps its files only in memory (tmpfs, or a
// RAM-backed block device such as zram or brd's ram0): nothing written
// there survives a reboot or a power loss, however it is synced.
func (f Facts) Volatile() bool {
	if slices.Contains(memoryFS, f.FSType) {
		return true
	}
	if f.Virtual {
		return false
	}
	d := cmp.Or(f.Disk, f.Device)
	return strings.HasPrefix(d, "zram") || strings.HasPrefix(d, "ram")
}

// NotDurable says why syncs on f do not make a log durable — "tmpfs
// keeps its files in memory …" — or is "" when f is stable storage as
// far as its facts tell.
func (f Facts) NotDurable() string {
	if !f.Volatile() {
		return ""
	}
	what := f.FSType
	if !slices.Contains(memoryFS, what) {
		what = f.Device + " (a RAM-backed device)"
	}
	return what + " keeps its files in memory, and a reboot or power loss loses them, synced or not"
}

// FlushDoubt says why syncs measured on f, the fastest syncing
// combination's median being median, may not have reached stable
// storage — a mount option that stops flushes, or syncs faster than
// stable storage completes them — or is "" when nothing says so. It
// does not repeat NotDurable.
func (f Facts) FlushDoubt(median time.Duration) string {
	if f.Volatile() {
		return ""
	}
	for _, o := range f.MountOptions {
		if o == "nobarrier" || o == "barrier=0" {
			return fmt.Sprintf("mounted %s: syncs do not flush the device's write cache, so they may not be durable", o)
		}
	}
	rotational := f.Rotational != nil && *f.Rotational
	switch {
	case median < minStableSync:
		return fmt.Sprintf("a median sync of %s is faster than stable storage completes a write (%s at least): a cache may not be honouring flushes",
			micros(median), micros(minStableSync))
	case rotational && median < minRotationalSync:
		return fmt.Sprintf("a median sync of %s is faster than a rotating disk turns (%s at least, and the device says it is rotational): a write cache answers the syncs and may not be honouring flushes unless it is battery-backed",
			micros(median), micros(minRotationalSync))
	}
	return ""
}

// micros is d in µs, or ms from 1 ms on, the terminal's units.
func micros(d time.Duration) string {
	us := float64(d) / float64(time.Microsecond)
	switch {
	case us >= 1000:
		return strconv.FormatFloat(us/1000, 'f', -1, 64) + " ms"
	case us < 10:
		return strconv.FormatFloat(us, 'f', 1, 64) + " µs"
	}
	return strconv.FormatFloat(us, 'f', 0, 64) + " µs"
}
