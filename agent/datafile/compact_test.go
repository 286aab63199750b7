package datafile

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// A value deleted in a running agent stays in a free page until the page
// is reused; a purge asks for compaction, and the next Open does it: the
// bytes are gone from the file, the rest is kept, the request cleared.
func TestOpenCompactsWhenAsked(t *testing.T) {
	dir := t.TempDir()
	secret := bytes.Repeat([]byte("SECRET-PHONE-"), 40)
	f, err := Open(dir, Options{Outlet: "SH-001"})
	if err != nil {
		t.Fatal(err)
	}
	err = f.Update(func(tx *bolt.Tx) error { return tx.Bucket(WorkflowBlobs).Put([]byte("k"), secret) })
	if err == nil {
		err = f.Update(func(tx *bolt.Tx) error { return tx.Bucket(WorkflowBlobs).Delete([]byte("k")) })
	}
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	raw, _ := os.ReadFile(filepath.Join(dir, FileName))
	if !bytes.Contains(raw, secret) {
		t.Fatal("the deleted value is not in a free page: the test cannot tell compaction from none")
	}
	f, _ = Open(dir, Options{Outlet: "SH-001"})
	err = f.Update(func(tx *bolt.Tx) error { return tx.Bucket(Meta).Put(KeyCompact, []byte{}) })
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	f, err = Open(dir, Options{Outlet: "SH-001"})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	raw, _ = os.ReadFile(filepath.Join(dir, FileName))
	if bytes.Contains(raw, secret) {
		t.Fatal("the deleted value is still in the file after Open compacted it")
	}
	if f.Outlet() != "SH-001" || compactWanted(f.db) {
		t.Fatalf("after compaction: outlet %q, compaction still asked %v", f.Outlet(), compactWanted(f.db))
	}
}
