package bench

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// childInit measures the package init of the program the runtime's
// children run, as Go's own trace reports it (GODEBUG=inittrace=1): the
// sum of every package's init, which every start and restart of an
// instance, the broker or Toxiproxy pays before its main runs. The
// program is started as `PROGRAM serve`, which ends at once for want of
// a service to serve.
func (b *bencher) childInit(ctx context.Context) ([]float64, string, error) {
	var pkgs int
	var mainAt float64
	samples, _, err := b.repeat(func() (float64, error) {
		cmd := exec.CommandContext(ctx, b.Children, "serve")
		cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		_ = cmd.Run() // it exits 2 or 3: no service named
		t, err := ParseInitTrace(stderr.String())
		if err != nil {
			return 0, fmt.Errorf("%s: %w", b.Children, err)
		}
		pkgs, mainAt = t.Packages, t.MainAt
		return round(t.Clock), nil
	}, "")
	detail := fmt.Sprintf("%s: %d packages, main reached %.1f ms after the start", filepath.Base(b.Children), pkgs, mainAt)
	return samples, detail, err
}

// InitTrace is what GODEBUG=inittrace=1 printed of a program's start.
type InitTrace struct {
	Packages int
	Clock    float64  // ms, the sum of every package's init
	MainAt   float64  // ms after the start, the end of the last init
	Names    []string // the packages, in init order
}

// ParseInitTrace reads the lines "init PKG @T ms, C ms clock, ...".
func ParseInitTrace(s string) (InitTrace, error) {
	var t InitTrace
	for _, line := range strings.Split(s, "\n") {
		f := strings.Fields(line)
		if len(f) < 6 || f[0] != "init" || !strings.HasPrefix(f[2], "@") || f[3] != "ms," {
			continue
		}
		at, err1 := strconv.ParseFloat(strings.TrimPrefix(f[2], "@"), 64)
		clock, err2 := strconv.ParseFloat(f[4], 64)
		if err1 != nil || err2 != nil || f[5] != "ms" {
			return t, fmt.Errorf("bad init trace line %q", line)
		}
		t.Packages++
		t.Clock += clock
		t.MainAt = max(t.MainAt, at+clock)
		t.Names = append(t.Names, f[1])
	}
	if t.Packages == 0 {
		return t, fmt.Errorf("no init trace (GODEBUG=inittrace=1 printed nothing)")
	}
	return t, nil
}
