package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"lab/internal/atomicfile"
)

// control is how `lab fault` reaches a running `lab up`: its control API's
// URL and the token every request carries.
type control struct {
	URL, Token string
}

// controlFile is where a running `lab up` leaves its control for `lab
// fault`: a file only its user may read, in the temporary folder.
func controlFile() string {
	return filepath.Join(os.TempDir(), fmt.Sprintf("lab-control-%d", os.Getuid()))
}

// writeControl leaves c in the control file, readable by this user alone:
// written beside it and renamed over it, so a reader never sees half.
func writeControl(c control) error {
	return atomicfile.Write(controlFile(), 0o600, func(w io.Writer) error {
		_, err := fmt.Fprintf(w, "%s\n%s\n", c.URL, c.Token)
		return err
	})
}

// readControl reads the control file. It refuses one that another user
// owns or may read: that is not this user's lab up, and its URL could
// collect the token.
func readControl() (control, error) {
	path := controlFile()
	f, err := os.Open(path)
	if err != nil {
		return control{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return control{}, err
	}
	if err := ownedPrivately(path, st); err != nil {
		return control{}, err
	}
	b := make([]byte, 4096)
	n, _ := f.Read(b)
	lines := strings.Fields(string(b[:n]))
	if len(lines) != 2 {
		return control{}, errors.New(path + ": want the control API's URL and its token, one a line")
	}
	return control{URL: lines[0], Token: lines[1]}, nil
}

// removeControl removes the control file if it is still c's.
func removeControl(c control) {
	if got, err := readControl(); err == nil && got == c {
		os.Remove(controlFile())
	}
}
