package datatree

import (
	"errors"
	"fmt"
	"math"
	"unicode/utf8"
)

// EphemeralType is what a znode's ephemeralOwner encodes (ZooKeeper's
// EphemeralType with zookeeper.extendedTypesEnabled=true, the setting the
// fixtures were made with).
type EphemeralType uint8

const (
	// EphemeralVoid is a persistent node (owner 0).
	EphemeralVoid EphemeralType = iota
	// EphemeralNormal is an ephemeral node; the owner is its session id.
	EphemeralNormal
	// EphemeralContainer is a container node (owner 0x8000000000000000).
	EphemeralContainer
	// EphemeralTTL is a TTL node (owner 0xFF0000xxxxxxxxxx, low 40 bits = TTL ms).
	EphemeralTTL
)

const (
	// ContainerOwner is the ephemeralOwner of every container node.
	ContainerOwner int64 = math.MinInt64
	// MaxTTL is the largest TTL in ms a TTL node can carry (2^40-1).
	MaxTTL int64 = 1<<40 - 1

	extendedMask     uint64 = 0xff00000000000000
	reservedBitsMask uint64 = 0x00ffff0000000000
)

// ErrBadTTL means a TTL outside (0, MaxTTL].
var ErrBadTTL = errors.New("datatree: ttl must be positive and cannot be larger than 2^40-1 ms")

// EphemeralTypeOf classifies an ephemeralOwner value. An owner whose top byte
// is 0xFF but whose two reserved bytes are not zero names no known extended
// type; ZooKeeper throws for it, here it counts as a session id.
func EphemeralTypeOf(owner int64) EphemeralType {
	u := uint64(owner)
	switch {
	case owner == 0:
		return EphemeralVoid
	case owner == ContainerOwner:
		return EphemeralContainer
	case u&extendedMask == extendedMask && u&reservedBitsMask == 0:
		return EphemeralTTL
	}
	return EphemeralNormal
}

// TTLOwner returns the ephemeralOwner of a TTL node with the given TTL (ms).
func TTLOwner(ttl int64) (int64, error) {
	if ttl <= 0 || ttl > MaxTTL {
		return 0, fmt.Errorf("%w: %d", ErrBadTTL, ttl)
	}
	return int64(extendedMask | uint64(ttl)), nil
}

// TTLOf returns the TTL (ms) carried by a TTL node's ephemeralOwner, or 0
// when owner is not a TTL encoding.
func TTLOf(owner int64) int64 {
	if EphemeralTypeOf(owner) != EphemeralTTL {
		return 0
	}
	return int64(uint64(owner) &^ (extendedMask | reservedBitsMask))
}

// SequentialName appends ZooKeeper's sequential suffix to a create path: the
// parent's cversion before the create, formatted %010d (negative values, after
// an int32 wrap, keep Java's "-000000001" form, which Go's %010d matches).
func SequentialName(path string, parentCversion int32) string {
	return fmt.Sprintf("%s%010d", path, parentCversion)
}

// ErrInvalidPath is wrapped by ValidatePath.
var ErrInvalidPath = errors.New("datatree: invalid path")

// ValidatePath applies ZooKeeper's PathUtils.validatePath rules: absolute,
// no trailing slash (except the root), no empty, "." or ".." components, no
// NUL, no control characters, and nothing in U+D800..U+F8FF or U+FFF0..U+FFFF
// (so no characters outside the BMP either, whose UTF-16 form is surrogates).
// For a sequential create, validate path+"1" as the server does.
func ValidatePath(path string) error {
	bad := func(reason string, at int) error {
		return fmt.Errorf("%w %q caused by %s @%d", ErrInvalidPath, path, reason, at)
	}
	switch {
	case len(path) == 0:
		return fmt.Errorf("%w: path length must be > 0", ErrInvalidPath)
	case path[0] != '/':
		return fmt.Errorf("%w %q: path must start with / character", ErrInvalidPath, path)
	case len(path) == 1:
		return nil
	case path[len(path)-1] == '/':
		return fmt.Errorf("%w %q: path must not end with / character", ErrInvalidPath, path)
	}
	last := '/'
	for i, c := range path[1:] {
		i++ // index in path
		switch {
		case c == utf8.RuneError:
			return bad("invalid UTF-8", i)
		case c == 0:
			return bad("null character not allowed", i)
		case c == '/' && last == '/':
			return bad("empty node name specified", i)
		case c == '.' && last == '.':
			if path[i-2] == '/' && (i+1 == len(path) || path[i+1] == '/') {
				return bad("relative paths not allowed", i)
			}
		case c == '.':
			if last == '/' && (i+1 == len(path) || path[i+1] == '/') {
				return bad("relative paths not allowed", i)
			}
		case c > 0 && c <= 0x1f, c >= 0x7f && c <= 0x9f,
			c >= 0xd800 && c <= 0xf8ff, c >= 0xfff0:
			return bad("invalid character", i)
		}
		last = c
	}
	return nil
}
