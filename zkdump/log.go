package zkdump

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"zkbench/engine/txnlog"
)

// WriteLog prints every txn of a log as TxnLogToolkit does, or one JSON
// object per txn. Like TxnLogToolkit it goes on past a checksum mismatch
// (printing the txn behind "CRC ERROR - "), so that the whole file can be
// seen, and returns the first such corruption; fatal is an error that
// stopped the dump (a record that cannot be read past, a write error).
func WriteLog(r *txnlog.Reader, out io.Writer, detail, asJSON bool) (first, fatal error) {
	h := r.Header()
	if !asJSON {
		fmt.Fprintf(out, "ZooKeeper Transactional Log File with dbid %d txnlog format version %d\n", h.DBID, h.Version)
	}
	enc := json.NewEncoder(out)
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		var ce *txnlog.CorruptError
		if err != nil && !(errors.As(err, &ce) && rec.Size > 0) {
			return first, err
		}
		if err != nil && first == nil {
			first = err
		}
		switch {
		case rec.Txn == nil:
			if !asJSON {
				fmt.Fprintf(out, "UNREADABLE - record at offset %d: %v\n", rec.Offset, err)
			}
		case asJSON:
			if err := enc.Encode(TxnOf(rec.Txn)); err != nil {
				return first, err
			}
		case err != nil:
			fmt.Fprintf(out, "CRC ERROR - %s\n", TxnLine(rec.Txn, detail))
		default:
			fmt.Fprintln(out, TxnLine(rec.Txn, detail))
		}
	}
	if !asJSON {
		tail := ""
		if r.Torn() {
			tail = fmt.Sprintf(" (torn record at offset %d dropped, as ZooKeeper does)", r.Offset())
		}
		fmt.Fprintf(out, "EOF reached after %d txns%s.\n", r.Count(), tail)
	}
	return first, nil
}
