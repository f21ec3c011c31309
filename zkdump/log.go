package zkdump

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"zkbench/engine/txnlog"
)

// WriteLog prints every txn of r as TxnLogToolkit does (or, asJSON, one
// Txn object per line and nothing else). Like TxnLogToolkit it goes on
// past a checksum mismatch, printing the txn behind "CRC ERROR - ", so
// that the whole file can be seen: corrupt is the first such mismatch,
// err what ended the dump early (nil at the log's end).
func WriteLog(r *txnlog.Reader, out io.Writer, detail, asJSON bool) (corrupt, err error) {
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
			return corrupt, err
		}
		if err != nil && corrupt == nil {
			corrupt = err
		}
		switch {
		case rec.Txn == nil:
			if !asJSON {
				fmt.Fprintf(out, "UNREADABLE - record at offset %d: %v\n", rec.Offset, err)
			}
		case asJSON:
			if err := enc.Encode(TxnOf(rec.Txn)); err != nil {
				return corrupt, err
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
	return corrupt, nil
}
