package servebin

import (
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"testing/fstest"
)

func gz(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func inCache(t *testing.T) string {
	dir := t.TempDir()
	old := cacheDir
	cacheDir = func() (string, error) { return dir, nil }
	t.Cleanup(func() { cacheDir = old })
	return dir
}

// TestExtractWritesOnceByHash: the program lands in the cache under a name
// carrying its hash, executable, and a second extract reuses it.
func TestExtractWritesOnceByHash(t *testing.T) {
	dir := inCache(t)
	fsys := fstest.MapFS{
		"blob/lab-serve.gz":     {Data: gz(t, []byte("#!/bin/sh\necho serve\n"))},
		"blob/lab-serve.sha256": {Data: []byte("0123456789abcdef0123\n")},
		"blob/lab-serve.target": {Data: []byte(runtime.GOOS + "/" + runtime.GOARCH + "\n")},
	}
	p, err := extract(fsys, "lab-serve", runtime.GOOS+"/"+runtime.GOARCH)
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(dir, "lab", "lab-serve-0123456789abcdef")
	if runtime.GOOS == "windows" {
		want += ".exe"
	}
	if p != want {
		t.Fatalf("path %s, want %s", p, want)
	}
	b, err := os.ReadFile(p)
	if err != nil || string(b) != "#!/bin/sh\necho serve\n" {
		t.Fatalf("content %q, %v", b, err)
	}
	if st, _ := os.Stat(p); runtime.GOOS != "windows" && st.Mode()&0o111 == 0 {
		t.Fatalf("mode %v: not executable", st.Mode())
	}
	// A second lab of this build finds it and writes nothing.
	if err := os.WriteFile(p, []byte("kept"), 0o755); err != nil {
		t.Fatal(err)
	}
	if p2, err := extract(fsys, "lab-serve", runtime.GOOS+"/"+runtime.GOARCH); err != nil || p2 != p {
		t.Fatalf("second extract: %s, %v", p2, err)
	}
	if b, _ := os.ReadFile(p); string(b) != "kept" {
		t.Fatalf("second extract rewrote the program: %q", b)
	}
	// No temporary file is left beside it.
	ents, _ := os.ReadDir(filepath.Dir(p))
	if len(ents) != 1 {
		t.Fatalf("cache holds %d entries, want 1", len(ents))
	}
}

func TestExtractWithoutBlob(t *testing.T) {
	inCache(t)
	if _, err := extract(fstest.MapFS{"blob/README.md": {Data: []byte("x")}}, "lab-serve", runtime.GOOS+"/"+runtime.GOARCH); !errors.Is(err, ErrNotBuilt) {
		t.Fatalf("err %v, want ErrNotBuilt", err)
	}
}

// TestExtractCorrupt: a damaged blob is an error, and leaves no program
// behind that a later run would trust by its name.
func TestExtractCorrupt(t *testing.T) {
	dir := inCache(t)
	fsys := fstest.MapFS{
		"blob/lab-serve.gz":     {Data: []byte("not gzip")},
		"blob/lab-serve.sha256": {Data: []byte("fedcba9876543210fedc\n")},
		"blob/lab-serve.target": {Data: []byte(runtime.GOOS + "/" + runtime.GOARCH + "\n")},
	}
	if _, err := extract(fsys, "lab-serve", runtime.GOOS+"/"+runtime.GOARCH); err == nil || !strings.Contains(err.Error(), "lab-serve") {
		t.Fatalf("err %v, want an error naming lab-serve", err)
	}
	ents, _ := os.ReadDir(filepath.Join(dir, "lab"))
	if len(ents) != 0 {
		t.Fatalf("left %d files in the cache", len(ents))
	}
	fsys["blob/lab-serve.sha256"] = &fstest.MapFile{Data: []byte("short")}
	if _, err := extract(fsys, "lab-serve", runtime.GOOS+"/"+runtime.GOARCH); err == nil {
		t.Fatal("a short hash was accepted")
	}
}

// TestExtractOtherSystem: a lab built for another system from a tree that
// holds this one's lab-serve (make cross) runs its children from itself.
func TestExtractOtherSystem(t *testing.T) {
	inCache(t)
	fsys := fstest.MapFS{
		"blob/lab-serve.gz":     {Data: gz(t, []byte("x"))},
		"blob/lab-serve.sha256": {Data: []byte("0123456789abcdef0123\n")},
		"blob/lab-serve.target": {Data: []byte("plan9/mips\n")},
	}
	if _, err := extract(fsys, "lab-serve", runtime.GOOS+"/"+runtime.GOARCH); !errors.Is(err, ErrNotBuilt) || !strings.Contains(err.Error(), "plan9/mips") {
		t.Fatalf("err %v, want ErrNotBuilt naming plan9/mips", err)
	}
}

// TestLinuxBesideTheNative: a macOS lab carries two programs; the Linux
// one, for the docker runtime's image, is written under a name of its own.
func TestLinuxBesideTheNative(t *testing.T) {
	dir := inCache(t)
	fsys := fstest.MapFS{
		"blob/lab-serve.gz":           {Data: gz(t, []byte("native"))},
		"blob/lab-serve.sha256":       {Data: []byte("1111111111111111aaaa\n")},
		"blob/lab-serve.target":       {Data: []byte("darwin/arm64\n")},
		"blob/lab-serve-linux.gz":     {Data: gz(t, []byte("linux"))},
		"blob/lab-serve-linux.sha256": {Data: []byte("2222222222222222bbbb\n")},
		"blob/lab-serve-linux.target": {Data: []byte("linux/arm64\n")},
	}
	p, err := extract(fsys, "lab-serve-linux", "linux/arm64")
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); p != filepath.Join(dir, "lab", "lab-serve-linux-2222222222222222") || string(b) != "linux" {
		t.Fatalf("%s holds %q", p, b)
	}
	if _, err := extract(fsys, "lab-serve-linux", "linux/amd64"); !errors.Is(err, ErrNotBuilt) {
		t.Fatalf("a Linux lab-serve of another architecture: %v, want ErrNotBuilt", err)
	}
}
