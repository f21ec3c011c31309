package zkdump

import (
	"strings"
	"testing"

	"zkbench/engine/jute"
)

func TestTxnLine(t *testing.T) {
	hdr := func(op int32) jute.TxnHeader {
		return jute.TxnHeader{ClientID: -1, Cxid: 7, Zxid: 0x100000002, Time: 1_732_528_800_123, Type: op}
	}
	long := strings.Repeat("x", 100)
	cases := []struct {
		name   string
		txn    jute.Txn
		detail bool
		want   string
	}{
		{"text data", jute.Txn{Header: hdr(jute.OpSetData), Body: &jute.SetDataTxn{Path: "/a", Data: []byte("hi"), Version: 3}}, false,
			"2024-11-25T10:00:00.123Z session 0xffffffffffffffff cxid 0x7 zxid 0x100000002 setData /a,hi,3"},
		{"binary data quoted", jute.Txn{Header: hdr(jute.OpSetData), Body: &jute.SetDataTxn{Path: "/a", Data: []byte{0, ','}}}, false,
			`2024-11-25T10:00:00.123Z session 0xffffffffffffffff cxid 0x7 zxid 0x100000002 setData /a,"\x00,",0`},
		{"long data cut without detail", jute.Txn{Header: hdr(jute.OpSetData), Body: &jute.SetDataTxn{Path: "/a", Data: []byte(long)}}, false,
			"2024-11-25T10:00:00.123Z session 0xffffffffffffffff cxid 0x7 zxid 0x100000002 setData /a," + long[:64] + "...(100 bytes),0"},
		{"long data whole with detail", jute.Txn{Header: hdr(jute.OpSetData), Body: &jute.SetDataTxn{Path: "/a", Data: []byte(long)}}, true,
			"2024-11-25T10:00:00.123Z session 0xffffffffffffffff cxid 0x7 zxid 0x100000002 setData /a," + long + ",0"},
	}
	for _, tc := range cases {
		if got := TxnLine(&tc.txn, tc.detail); got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.want)
		}
	}
}

func TestTxnOf(t *testing.T) {
	j := TxnOf(&jute.Txn{Header: jute.TxnHeader{ClientID: 0x42, Zxid: 0x200000001, Type: jute.OpSetData},
		Body: &jute.SetDataTxn{Path: "/a", Data: []byte("abc"), Version: 1}})
	if j.Zxid != "0x200000001" || j.Session != "0x42" || j.Type != "setData" || j.Path != "/a" ||
		j.DataLen == nil || *j.DataLen != 3 || j.Version == nil || *j.Version != 1 {
		t.Errorf("TxnOf = %+v", j)
	}
}
