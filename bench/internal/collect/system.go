package collect

import (
	"context"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/shirou/gopsutil/v3/cpu"
	"github.com/shirou/gopsutil/v3/disk"
	"github.com/shirou/gopsutil/v3/process"
)

// Sample is one interval of the machine: CPU use and, per block device,
// bytes written per second and utilization (the share of the interval the
// device was busy, as iostat's %util).
type Sample struct {
	T      time.Time
	CPUPct float64
	// ProcCPUPct is this process's share of all cores: the embedded
	// ensemble and the clients, or the clients alone against a real
	// ensemble; the rest of CPUPct is other processes'.
	ProcCPUPct float64
	Disk       map[string]DiskRate
}

// DiskRate is one device's activity over a sample.
type DiskRate struct {
	WriteBytesS float64
	UtilPct     float64
}

// System samples CPU and the named block devices every interval until
// its context ends. Devices it cannot read are left out; sampling is best
// effort and never fails a run.
type System struct {
	devices  []string
	interval time.Duration

	mu      sync.Mutex
	samples []Sample
}

// NewSystem returns a sampler for devices (names as in /proc/diskstats,
// e.g. "vda").
func NewSystem(devices []string, interval time.Duration) *System {
	return &System{devices: devices, interval: interval}
}

// Run samples until ctx is done.
func (s *System) Run(ctx context.Context) {
	t := time.NewTicker(s.interval)
	defer t.Stop()
	cpu.Percent(0, false) // prime: the next call measures since now
	self, _ := process.NewProcess(int32(os.Getpid()))
	if self != nil {
		self.Percent(0)
	}
	prev, prevT := s.counters(), time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			cur := s.counters()
			sm := Sample{T: now, Disk: map[string]DiskRate{}}
			if p, err := cpu.Percent(0, false); err == nil && len(p) == 1 {
				sm.CPUPct = p[0]
			}
			if self != nil {
				if p, err := self.Percent(0); err == nil {
					sm.ProcCPUPct = p / float64(runtime.NumCPU()) // of one core, summed: as CPUPct, of all
				}
			}
			secs := now.Sub(prevT).Seconds()
			for name, c := range cur {
				if p, ok := prev[name]; ok && secs > 0 {
					sm.Disk[name] = DiskRate{
						WriteBytesS: float64(c.WriteBytes-p.WriteBytes) / secs,
						UtilPct:     min(100, float64(c.IoTime-p.IoTime)/(secs*1000)*100),
					}
				}
			}
			prev, prevT = cur, now
			s.mu.Lock()
			s.samples = append(s.samples, sm)
			s.mu.Unlock()
		}
	}
}

func (s *System) counters() map[string]disk.IOCountersStat {
	if len(s.devices) == 0 {
		return nil
	}
	c, err := disk.IOCounters(s.devices...)
	if err != nil {
		return nil
	}
	return c
}

// Samples returns what was sampled so far.
func (s *System) Samples() []Sample {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Sample(nil), s.samples...)
}
