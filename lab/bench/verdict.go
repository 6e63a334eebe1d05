package bench

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// verdictDuration is the load of the timed `lab run baseline`.
const verdictDuration = "10s"

// verdicts times `lab run baseline --duration 10s` from the command to its
// exit: what an engineer waits for a verdict, shop start and stop included.
func (b *bencher) verdicts(ctx context.Context) ([]float64, string, error) {
	samples, _, err := b.repeat(func() (float64, error) {
		dir, err := b.dir("verdict")
		if err != nil {
			return 0, err
		}
		args := append(append([]string{}, b.Command[1:]...), "run", "baseline", "--duration", verdictDuration,
			"--runtime", b.Runtime.Name(), "--out", filepath.Join(dir, "run"))
		cmd := exec.CommandContext(ctx, b.Command[0], args...)
		// Interrupted, the run is asked to stop as a user's Ctrl-C would, so
		// that it removes its faults, processes and containers itself.
		cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGINT) }
		cmd.WaitDelay = 15 * time.Second
		cmd.Dir = dir
		began := time.Now()
		out, err := cmd.CombinedOutput()
		took := time.Since(began)
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() == 1 {
			err = nil // a fail verdict is still a verdict
		}
		if err != nil {
			return 0, fmt.Errorf("lab run baseline: %w\n%s", err, out)
		}
		return took.Seconds(), nil
	}, "")
	return samples, fmt.Sprintf("lab run baseline --duration %s --runtime %s, wall clock from start to exit", verdictDuration, b.Runtime.Name()), err
}
