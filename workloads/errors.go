package workloads

import (
	"errors"
	"strconv"
)

// keeperError is a ZooKeeper KeeperException: its numeric code (the one on
// the wire) and the name ZooKeeper gives it.
type keeperError struct {
	code int32
	name string
}

func (e *keeperError) Error() string { return "zookeeper: " + e.name }

// Is matches any error of the same code, so that CodeError's errors for
// codes without a sentinel compare equal too.
func (e *keeperError) Is(target error) bool {
	t, ok := target.(*keeperError)
	return ok && t.code == e.code
}

// The errors a Conn returns, one per ZooKeeper KeeperException code a
// benchmark can meet. Targets map their native errors onto these so that
// the driver counts them by kind whatever the target.
var (
	ErrConnectionLoss          error = &keeperError{-4, "ConnectionLoss"}
	ErrOperationTimeout        error = &keeperError{-7, "OperationTimeout"}
	ErrBadArguments            error = &keeperError{-8, "BadArguments"} // a malformed path, say
	ErrNoNode                  error = &keeperError{-101, "NoNode"}
	ErrNoAuth                  error = &keeperError{-102, "NoAuth"}
	ErrBadVersion              error = &keeperError{-103, "BadVersion"}
	ErrNoChildrenForEphemerals error = &keeperError{-108, "NoChildrenForEphemerals"}
	ErrNodeExists              error = &keeperError{-110, "NodeExists"}
	ErrNotEmpty                error = &keeperError{-111, "NotEmpty"}
	ErrSessionExpired          error = &keeperError{-112, "SessionExpired"}
	ErrSessionMoved            error = &keeperError{-118, "SessionMoved"}
	ErrRequestTimeout          error = &keeperError{-122, "RequestTimeout"}
	ErrThrottled               error = &keeperError{-127, "Throttled"}
)

// ErrClosed is returned by a Conn that its owner closed, including to a
// call that was in flight when Close was called. It is not a ZooKeeper
// code: the client gave up, the server said nothing.
var ErrClosed = errors.New("zookeeper: session closed by the client")

var byCode = map[int32]error{}

func init() {
	for _, err := range []error{ErrConnectionLoss, ErrOperationTimeout, ErrBadArguments, ErrNoNode, ErrNoAuth,
		ErrBadVersion, ErrNoChildrenForEphemerals, ErrNodeExists, ErrNotEmpty,
		ErrSessionExpired, ErrSessionMoved, ErrRequestTimeout, ErrThrottled} {
		byCode[err.(*keeperError).code] = err
	}
}

// CodeError returns the error for a ZooKeeper KeeperException code: one of
// the sentinels above, or for a code without one an error that names the
// code. Code 0 (OK) is nil.
func CodeError(code int32) error {
	if code == 0 {
		return nil
	}
	if err, ok := byCode[code]; ok {
		return err
	}
	return &keeperError{code, "code " + strconv.Itoa(int(code))}
}

// errorKind names err for the per-kind error counts: the KeeperException
// name, "Closed", or "other" for anything a target did not map.
func errorKind(err error) string {
	var ke *keeperError
	switch {
	case errors.As(err, &ke):
		return ke.name
	case errors.Is(err, ErrClosed):
		return "Closed"
	}
	return "other"
}

// ErrorKind names err as the per-kind error counts do: the
// KeeperException name (ConnectionLoss, NoNode…), "Closed", or "other".
func ErrorKind(err error) string { return errorKind(err) }
