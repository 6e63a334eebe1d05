package kit_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"lab/services/kit"
)

const openSchema = `CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, name TEXT);
CREATE INDEX IF NOT EXISTS items_name ON items(name);`

// TestHelperOpenDB is not a test: run by TestReplicasOpenOneFileTogether as
// a process of its own, it opens the file KIT_OPEN_DB names.
func TestHelperOpenDB(t *testing.T) {
	path := os.Getenv("KIT_OPEN_DB")
	if path == "" {
		t.Skip("a helper process of TestReplicasOpenOneFileTogether")
	}
	db, err := kit.OpenDB(path, openSchema)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	db.Close()
	os.Exit(0)
}

// TestReplicasOpenOneFileTogether opens one fresh database file from several
// processes at once, as replicas starting together do: none may fail with
// SQLITE_BUSY while another switches the file to WAL or applies the schema.
func TestReplicasOpenOneFileTogether(t *testing.T) {
	if raceBuild {
		t.Skip("separate processes share no memory: nothing for -race to see, and 320 race-built processes take a minute")
	}
	for round := 0; round < 40; round++ {
		path := filepath.Join(t.TempDir(), fmt.Sprintf("round%d.db", round))
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cmd := exec.Command(os.Args[0], "-test.run=^TestHelperOpenDB$")
				cmd.Env = append(os.Environ(), "KIT_OPEN_DB="+path)
				if out, err := cmd.CombinedOutput(); err != nil {
					errs[i] = fmt.Errorf("%v: %s", err, out)
				}
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatalf("round %d: a replica could not open the file: %v", round, err)
			}
		}
	}
}
