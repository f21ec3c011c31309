package bench

import "runtime/debug"

// version is set at link time (-ldflags "-X zkbench/bench.version=…"); otherwise the
// module's VCS stamp is used.
var version = ""

// Version is zkbench's version as result files record it: the one set
// at link time, else "devel-" and the module's VCS revision.
func Version() string {
	if version != "" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	rev, dirty := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "devel"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "-dirty"
	}
	return "devel-" + rev
}
