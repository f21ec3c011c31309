package zkmanaged

import (
	"context"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// Changes signals, as soon as the kernel tells (inotify), that a file
// was created or closed after writing in a member's version-2 folder:
// a Scan then sees a snapshot begin and end when they happen, not at the
// next listing. The channel holds one signal at most (changes coalesce)
// and is closed when ctx ends. The folders must exist.
func (w *Watch) Changes(ctx context.Context) (<-chan struct{}, error) {
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("inotify: %w", err)
	}
	// Through os.File the read waits in Go's poller, and Close ends it.
	f := os.NewFile(uintptr(fd), "inotify")
	for _, m := range w.members {
		for _, dir := range versionDirs(m) {
			if _, err := unix.InotifyAddWatch(fd, dir, unix.IN_CREATE|unix.IN_CLOSE_WRITE); err != nil {
				f.Close()
				return nil, fmt.Errorf("inotify %s: %w", dir, err)
			}
		}
	}
	ch := make(chan struct{}, 1)
	go func() {
		<-ctx.Done()
		f.Close()
	}()
	go func() {
		defer close(ch)
		buf := make([]byte, 64*(unix.SizeofInotifyEvent+unix.NAME_MAX+1))
		for {
			if _, err := f.Read(buf); err != nil {
				return // closed
			}
			select {
			case ch <- struct{}{}:
			default:
			}
		}
	}()
	return ch, nil
}
