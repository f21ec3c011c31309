package persist

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strconv"

	"zkbench/engine/disk"
)

// Names of the epoch files a quorum member keeps next to its snapshots.
const (
	CurrentEpochFile  = "currentEpoch"
	AcceptedEpochFile = "acceptedEpoch"
)

// ErrEpoch means the epoch files contradict each other or the database:
// ZooKeeper refuses to start in these states, and so do we.
var ErrEpoch = errors.New("inconsistent epoch files")

// Epochs are a member's persisted election state. Accepted is the highest
// epoch it agreed to follow; Current is the epoch of the leader it last
// completed a sync with. Accepted >= Current always.
type Epochs struct {
	Current  int64
	Accepted int64
}

// EpochOf returns the epoch half of a zxid.
func EpochOf(zxid int64) int64 { return int64(uint64(zxid) >> 32) }

// Zxid composes a zxid from an epoch and a counter.
func Zxid(epoch int64, counter uint32) int64 { return epoch<<32 | int64(counter) }

// ReadEpochFile reads one epoch file: a decimal number, no newline needed.
func ReadEpochFile(fsys disk.FS, path string) (int64, error) {
	b, err := disk.ReadFile(fsys, path)
	if err != nil {
		return 0, err
	}
	line, _, _ := bufio.NewReader(bytes.NewReader(b)).ReadLine()
	v, err := strconv.ParseInt(string(line), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("epoch file %s: %w: %q is not a number", path, ErrEpoch, line)
	}
	return v, nil
}

// WriteEpochFile writes an epoch file atomically through a .tmp file, as
// ZooKeeper does, so that a crash leaves either the old or the new value.
func WriteEpochFile(fsys disk.FS, path string, epoch int64) error {
	if err := disk.WriteFileAtomic(fsys, path, []byte(strconv.FormatInt(epoch, 10))); err != nil {
		return fmt.Errorf("write epoch file %s: %w", path, err)
	}
	return nil
}

// LoadEpochs reads and checks the epoch files in snapDir (a version-2
// directory) against the last zxid of the loaded database, with the rules
// of ZooKeeper 3.8's QuorumPeer.loadDataBase (see CheckEpochs), and makes
// the writes it decides on: a missing file is created from the zxid's
// epoch; a currentEpoch.tmp left by a crash during its update replaces
// currentEpoch.
func LoadEpochs(fsys disk.FS, snapDir string, lastZxid int64) (Epochs, error) {
	c, err := CheckEpochs(fsys, snapDir, lastZxid)
	if err != nil {
		return Epochs{}, err
	}
	for _, w := range c.Writes {
		if err := WriteEpochFile(fsys, filepath.Join(snapDir, w.File), w.Epoch); err != nil {
			return Epochs{}, err
		}
	}
	return c.Epochs, nil
}

// EpochCheck is what CheckEpochs decided, without writing anything.
type EpochCheck struct {
	Epochs Epochs
	// Writes are the epoch files start-up writes before it goes on.
	Writes []EpochWrite
}

// EpochWrite is one epoch file start-up writes, and why.
type EpochWrite struct {
	File   string // CurrentEpochFile or AcceptedEpochFile
	Epoch  int64
	Reason string // "missing" or "from currentEpoch.tmp"
}

// CheckEpochs reads and checks the epoch files in snapDir against the
// last zxid of the loaded database, with the rules of ZooKeeper 3.8's
// QuorumPeer.loadDataBase, and changes nothing: a missing file would be
// created from the zxid's epoch; a currentEpoch older than the zxid's
// epoch is only accepted when currentEpoch.tmp holds the newer value (a
// crash during its update); acceptedEpoch must not be below currentEpoch.
func CheckEpochs(fsys disk.FS, snapDir string, lastZxid int64) (EpochCheck, error) {
	var c EpochCheck
	zxidEpoch := EpochOf(lastZxid)
	cur, err := readEpochOr(fsys, snapDir, CurrentEpochFile, zxidEpoch, &c)
	if err != nil {
		return EpochCheck{}, err
	}
	if zxidEpoch > cur {
		tmp := filepath.Join(snapDir, CurrentEpochFile+".tmp")
		v, err := ReadEpochFile(fsys, tmp)
		if err != nil {
			return EpochCheck{}, fmt.Errorf("%w: current epoch %d in %s is older than the last zxid 0x%x",
				ErrEpoch, cur, filepath.Join(snapDir, CurrentEpochFile), lastZxid)
		}
		c.Writes = append(c.Writes, EpochWrite{File: CurrentEpochFile, Epoch: v, Reason: "from " + CurrentEpochFile + ".tmp"})
		cur = v
	}
	acc, err := readEpochOr(fsys, snapDir, AcceptedEpochFile, zxidEpoch, &c)
	if err != nil {
		return EpochCheck{}, err
	}
	if acc < cur {
		return EpochCheck{}, fmt.Errorf("%w: accepted epoch %d is less than the current epoch %d in %s",
			ErrEpoch, acc, cur, snapDir)
	}
	c.Epochs = Epochs{Current: cur, Accepted: acc}
	return c, nil
}

// readEpochOr reads an epoch file, or plans its creation with dflt.
func readEpochOr(fsys disk.FS, snapDir, name string, dflt int64, c *EpochCheck) (int64, error) {
	v, err := ReadEpochFile(fsys, filepath.Join(snapDir, name))
	if errors.Is(err, fs.ErrNotExist) {
		c.Writes = append(c.Writes, EpochWrite{File: name, Epoch: dflt, Reason: "missing"})
		return dflt, nil
	}
	return v, err
}
