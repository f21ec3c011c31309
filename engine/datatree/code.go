package datatree

import "strconv"

// Code is a ZooKeeper KeeperException code. Apply reports it in Result.Err;
// the read API returns it as the error value, so callers can compare
// directly (err == datatree.NoNode) or with errors.As.
type Code int32

// KeeperException codes of ZooKeeper 3.8 (org.apache.zookeeper.KeeperException.Code).
const (
	Ok                           Code = 0
	SystemError                  Code = -1
	RuntimeInconsistency         Code = -2
	DataInconsistency            Code = -3
	ConnectionLoss               Code = -4
	MarshallingError             Code = -5
	Unimplemented                Code = -6
	OperationTimeout             Code = -7
	BadArguments                 Code = -8
	UnknownSession               Code = -12
	NewConfigNoQuorum            Code = -13
	ReconfigInProgress           Code = -14
	APIError                     Code = -100
	NoNode                       Code = -101
	NoAuth                       Code = -102
	BadVersion                   Code = -103
	NoChildrenForEphemerals      Code = -108
	NodeExists                   Code = -110
	NotEmpty                     Code = -111
	SessionExpired               Code = -112
	InvalidCallback              Code = -113
	InvalidACL                   Code = -114
	AuthFailed                   Code = -115
	SessionMoved                 Code = -118
	NotReadOnly                  Code = -119
	EphemeralOnLocalSession      Code = -120
	NoWatcher                    Code = -121
	RequestTimeout               Code = -122
	ReconfigDisabled             Code = -123
	SessionClosedRequireSASLAuth Code = -124
	QuotaExceeded                Code = -125
	Throttled                    Code = -127
)

var codeNames = map[Code]string{
	Ok:                           "OK",
	SystemError:                  "SystemError",
	RuntimeInconsistency:         "RuntimeInconsistency",
	DataInconsistency:            "DataInconsistency",
	ConnectionLoss:               "ConnectionLoss",
	MarshallingError:             "MarshallingError",
	Unimplemented:                "Unimplemented",
	OperationTimeout:             "OperationTimeout",
	BadArguments:                 "BadArguments",
	UnknownSession:               "UnknownSession",
	NewConfigNoQuorum:            "NewConfigNoQuorum",
	ReconfigInProgress:           "ReconfigInProgress",
	APIError:                     "APIError",
	NoNode:                       "NoNode",
	NoAuth:                       "NoAuth",
	BadVersion:                   "BadVersion",
	NoChildrenForEphemerals:      "NoChildrenForEphemerals",
	NodeExists:                   "NodeExists",
	NotEmpty:                     "Directory not empty",
	SessionExpired:               "Session expired",
	InvalidCallback:              "Invalid callback",
	InvalidACL:                   "InvalidACL",
	AuthFailed:                   "AuthFailed",
	SessionMoved:                 "Session moved",
	NotReadOnly:                  "Not a read-only call",
	EphemeralOnLocalSession:      "Ephemeral node on local session",
	NoWatcher:                    "No such watcher",
	RequestTimeout:               "Request timeout",
	ReconfigDisabled:             "Reconfig is disabled",
	SessionClosedRequireSASLAuth: "Session closed because client failed to authenticate",
	QuotaExceeded:                "Quota has exceeded",
	Throttled:                    "Op throttled due to high load",
}

// String returns ZooKeeper's message for the code (KeeperException.getCodeMessage).
func (c Code) String() string {
	if s, ok := codeNames[c]; ok {
		return s
	}
	return "Unknown error " + strconv.Itoa(int(c))
}

// Error formats the code the way KeeperException.getMessage does.
func (c Code) Error() string { return "KeeperErrorCode = " + c.String() }
