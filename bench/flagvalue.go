package bench

// FlagValue is a knob's command-line value, with the methods of a
// pflag.Value: a flag given twice keeps its last value, except a list's
// (faults, whose --fault is repeatable), which keeps each.
type FlagValue struct {
	key string
	v   *string
	set bool
}

// NewFlagValue is key's flag value, stored in *v (which holds the
// default until the flag is given).
func NewFlagValue(key string, v *string) *FlagValue { return &FlagValue{key: key, v: v} }

// listKeys take one item per flag.
var listKeys = map[string]bool{"faults": true}

// Set takes one use of the flag.
func (f *FlagValue) Set(s string) error {
	if f.set && listKeys[f.key] {
		s = *f.v + "," + s
	}
	*f.v, f.set = s, true
	return nil
}

func (f *FlagValue) String() string { return *f.v }

// Type is what the flag's usage calls its value.
func (f *FlagValue) Type() string { return "string" }
