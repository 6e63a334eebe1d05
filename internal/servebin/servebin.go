// Package servebin carries lab-serve (cmd/lab-serve: the shop alone, none of
// the harness) inside the lab binary, so that the lab stays one file while
// its children do not link k6, testcontainers-go or the reports: a child of
// the lab binary itself runs the init of 454 packages (15.7 ms of init
// here, main reached at 21 ms), lab-serve's 160 (2.3 ms, main at 4.5 ms;
// `lab bench --only child_init_ms`), and testcontainers-go's bootstrap,
// which walks every process on the machine, is not among them.
//
// `make build` writes blob/lab-serve.gz, .sha256 and .target before it
// builds the lab; Path writes the program to the user's cache folder once per
// build (its name carries the hash) and returns it. A lab built without them
// (`go build ./cmd/lab`) has no lab-serve: Path returns ErrNotBuilt and the
// runtimes run `lab serve` of the lab binary itself, as before.
package servebin

import (
	"bytes"
	"compress/gzip"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"lab/internal/atomicfile"
)

//go:generate go run ./gen

//go:embed blob
var blob embed.FS

// ErrNotBuilt says that this lab binary carries no lab-serve.
var ErrNotBuilt = errors.New("this lab was built without lab-serve (make build embeds it)")

var (
	once     sync.Once
	path     string
	pathErr  error
	cacheDir = os.UserCacheDir // tests point it elsewhere
)

// Path returns the path of lab-serve, written to the cache folder at the
// first call of any lab of this build; ErrNotBuilt if this lab has none.
func Path() (string, error) {
	once.Do(func() { path, pathErr = extract(blob, "lab-serve", runtime.GOOS+"/"+runtime.GOARCH) })
	return path, pathErr
}

var (
	linuxOnce    sync.Once
	linuxPath    string
	linuxPathErr error
)

// LinuxPath returns a Linux lab-serve for the docker runtime's image: Path
// on Linux; elsewhere (macOS, Windows, whose engines run Linux containers
// on the machine's own architecture) the Linux lab-serve that make build
// packs beside the native one.
func LinuxPath() (string, error) {
	if runtime.GOOS == "linux" {
		return Path()
	}
	linuxOnce.Do(func() { linuxPath, linuxPathErr = extract(blob, "lab-serve-linux", "linux/"+runtime.GOARCH) })
	return linuxPath, linuxPathErr
}

// extract writes blob/BASE.gz, checked to be built for target, to the cache
// folder as BASE-HASH and returns its path.
func extract(fsys fs.FS, base, want string) (string, error) {
	sum, err := fs.ReadFile(fsys, "blob/"+base+".sha256")
	if errors.Is(err, fs.ErrNotExist) {
		return "", ErrNotBuilt
	}
	if err != nil {
		return "", fmt.Errorf("lab-serve: %w", err)
	}
	target, err := fs.ReadFile(fsys, "blob/"+base+".target")
	if err != nil {
		return "", fmt.Errorf("lab-serve: %w", err)
	}
	if t := strings.TrimSpace(string(target)); t != want {
		return "", fmt.Errorf("%w: it carries %s for %s, not %s", ErrNotBuilt, base, t, want)
	}
	hash := strings.TrimSpace(string(sum))
	if len(hash) < 16 {
		return "", fmt.Errorf("lab-serve: bad hash %q", hash)
	}
	dir, err := cacheDir()
	if err != nil || dir == "" {
		dir = os.TempDir()
	}
	dir = filepath.Join(dir, "lab")
	name := base + "-" + hash[:16]
	if runtime.GOOS == "windows" && strings.HasPrefix(want, "windows/") {
		name += ".exe"
	}
	dst := filepath.Join(dir, name)
	if st, err := os.Stat(dst); err == nil && st.Mode().IsRegular() && st.Mode()&0o100 != 0 {
		return dst, nil // written by an earlier run of this build
	}
	gz, err := fs.ReadFile(fsys, "blob/"+base+".gz")
	if err != nil {
		return "", fmt.Errorf("lab-serve: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("lab-serve: %w", err)
	}
	// Written whole or not at all: a lab that starts at the same moment
	// sees the whole file or none.
	err = atomicfile.Write(dst, 0o755, func(w io.Writer) error {
		zr, err := gzip.NewReader(bytes.NewReader(gz))
		if err != nil {
			return err
		}
		_, err = io.Copy(w, zr)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("lab-serve: write %s: %w", dst, err)
	}
	return dst, nil
}
