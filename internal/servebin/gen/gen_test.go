package main

import (
	"bytes"
	"compress/gzip"
	"debug/elf"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMacOSBuildCarriesALinuxLabServe packs lab-serve as make build does on
// an Intel Mac: the native program for darwin/amd64 and, for the docker
// runtime's image, a static Linux amd64 one. (amd64: the Linux program is
// the one this machine's build cache already holds, and .ci/run's make
// cross has compiled most of the darwin one.)
func TestMacOSBuildCarriesALinuxLabServe(t *testing.T) {
	out := t.TempDir()
	t.Setenv("GOOS", "darwin")
	t.Setenv("GOARCH", "amd64")
	if err := gen(out); err != nil {
		t.Fatal(err)
	}
	for base, want := range map[string]string{"lab-serve": "darwin/amd64", "lab-serve-linux": "linux/amd64"} {
		b, err := os.ReadFile(filepath.Join(out, base+".target"))
		if err != nil || strings.TrimSpace(string(b)) != want {
			t.Errorf("%s.target: %q, %v; want %s", base, b, err, want)
		}
	}
	gz, err := os.ReadFile(filepath.Join(out, "lab-serve-linux.gz"))
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	bin, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	f, err := elf.NewFile(bytes.NewReader(bin))
	if err != nil {
		t.Fatalf("the Linux lab-serve is not ELF: %v", err)
	}
	if f.Machine != elf.EM_X86_64 {
		t.Errorf("the Linux lab-serve is for %v, want x86-64", f.Machine)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the Linux lab-serve is dynamically linked")
		}
	}
	// A Linux build carries no second program, and removes a stale one.
	t.Setenv("GOOS", "linux")
	if err := gen(out); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(out, "lab-serve-linux.gz")); !os.IsNotExist(err) {
		t.Errorf("a Linux build left lab-serve-linux.gz: %v", err)
	}
}
