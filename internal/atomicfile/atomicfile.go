// Package atomicfile writes a file whole or not at all: into a temporary
// file beside it, renamed over it once complete, so a reader (a Prometheus
// watching its targets, a lab fault reading the control file, CI reading a
// report) never sees half of it.
package atomicfile

import (
	"io"
	"os"
	"path/filepath"
)

// Write writes path with mode perm through write. On any error the
// temporary file is removed and path is left as it was.
func Write(path string, perm os.FileMode, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after the rename, there is nothing to remove
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
