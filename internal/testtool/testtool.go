// Package testtool gives tests the outside programs they need: one found on
// the PATH (Debian's prometheus, shellcheck, chromium ...), skipped without
// it unless LAB_REQUIRE_TOOLS=1 (as CI sets it), which fails the test
// instead; or one built with the go command at a pinned version.
package testtool

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Missing ends the test for want of what: a failure under
// LAB_REQUIRE_TOOLS=1, a skip otherwise.
func Missing(t testing.TB, what string) {
	t.Helper()
	if os.Getenv("LAB_REQUIRE_TOOLS") == "1" {
		t.Fatalf("LAB_REQUIRE_TOOLS=1 and no %s", what)
	}
	t.Skipf("no %s (set LAB_REQUIRE_TOOLS=1 to fail instead)", what)
}

// Require returns the path of the program name, from the Debian package
// pkg, or ends the test as Missing says.
func Require(t testing.TB, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Missing(t, name+" (Debian's "+pkg+")")
	}
	return p
}

// GoInstall builds pkg at version with `go install` into a folder of the
// test's and returns the program bin there.
func GoInstall(t testing.TB, pkg, version, bin string) string {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command("go", "install", pkg+"@"+version)
	cmd.Env = append(os.Environ(), "GOBIN="+dir, "GOFLAGS=")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go install %s@%s: %v\n%s", pkg, version, err, b)
	}
	return filepath.Join(dir, bin)
}
