// Command gen builds cmd/lab-serve for the target of the build (GOOS,
// GOARCH from the environment) and writes it compressed, with the SHA-256
// of the program and its target, where internal/servebin embeds it: `go generate
// ./internal/servebin` (make build runs it). -o writes elsewhere (a test
// builds a lab with -overlay pointing there, leaving the tree alone).
package main

import (
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
)

func main() {
	out := flag.String("o", "blob", "write lab-serve.gz, .sha256 and .target into this folder")
	flag.Parse()
	if err := gen(*out); err != nil {
		fmt.Fprintln(os.Stderr, "servebin/gen:", err)
		os.Exit(1)
	}
}

// gen packs lab-serve for the build's target and, when that is not Linux,
// a Linux one of the same architecture too: the docker runtime's image on
// macOS and Windows (their engines run Linux containers of the machine's
// architecture).
func gen(out string) error {
	goos, goarch := envOr("GOOS", runtime.GOOS), envOr("GOARCH", runtime.GOARCH)
	if err := pack(out, "lab-serve", goos, goarch); err != nil {
		return err
	}
	linux := filepath.Join(out, "lab-serve-linux")
	if goos == "linux" {
		for _, ext := range []string{".gz", ".sha256", ".target"} {
			if err := os.Remove(linux + ext); err != nil && !os.IsNotExist(err) {
				return err
			}
		}
		return nil
	}
	return pack(out, "lab-serve-linux", "linux", goarch)
}

// pack builds lab-serve for goos/goarch (static: CGO_ENABLED=0) and writes
// out/BASE.gz, .sha256 and .target.
func pack(out, base, goos, goarch string) error {
	tmp, err := os.MkdirTemp("", "lab-serve-build-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	exe := filepath.Join(tmp, "lab-serve")
	cmd := exec.Command("go", "build", "-trimpath", "-o", exe, "lab/cmd/lab-serve")
	cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH="+goarch, "CGO_ENABLED=0")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build lab/cmd/lab-serve for %s/%s: %w", goos, goarch, err)
	}
	bin, err := os.ReadFile(exe)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(bin)
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	gzPath := filepath.Join(out, base+".gz")
	f, err := os.Create(gzPath + ".tmp")
	if err != nil {
		return err
	}
	zw, _ := gzip.NewWriterLevel(f, gzip.BestSpeed)
	_, err = zw.Write(bin)
	if err == nil {
		err = zw.Close()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(gzPath+".tmp", gzPath)
	}
	if err != nil {
		return err
	}
	// The target goes with it: a lab built for another system from the same
	// tree (make cross) must not run this program.
	if err := os.WriteFile(filepath.Join(out, base+".target"), []byte(goos+"/"+goarch+"\n"), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(out, base+".sha256"), []byte(hex.EncodeToString(sum[:])+"\n"), 0o644)
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
