package skeleton

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"lab/lab"
)

// unit is a backend's Unit with its runs: the log, the last lines, and how
// the current run ended.
type unit struct {
	Unit
	service string
	logPath string
	last    *Tail

	mu      sync.Mutex
	done    chan struct{} // closed when the current run has ended
	waitErr error
	asked   bool // the harness asked the current run to end
}

func (s *Shop) newUnit(u Unit, service string) *unit {
	return &unit{Unit: u, service: service, last: &Tail{}, logPath: filepath.Join(s.p.Dir, "logs", u.Name()+".log")}
}

// startUnit starts a run of u and a goroutine that waits for its end,
// reporting an end the harness did not ask for.
func (s *Shop) startUnit(ctx context.Context, u *unit, run Run) error {
	if s.closing.Load() {
		return errors.New("shop is closing")
	}
	logf, err := os.OpenFile(u.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open log of %s: %w", u.Name(), err)
	}
	wait, err := u.Start(ctx, run, io.MultiWriter(logf, u.last))
	if err != nil {
		logf.Close()
		return err
	}
	done := make(chan struct{})
	u.mu.Lock()
	u.done, u.asked, u.waitErr = done, false, nil
	u.mu.Unlock()
	s.waiters.Add(1)
	go func() {
		defer s.waiters.Done()
		err := wait()
		logf.Close()
		u.mu.Lock()
		u.waitErr = err
		asked := u.asked
		u.mu.Unlock()
		close(done)
		if asked || s.closing.Load() {
			return
		}
		if err == nil {
			err = errors.New("exited with status 0")
		}
		select {
		case s.exits <- lab.Exit{Instance: u.Name(), Err: err, Last: u.last.Lines(), At: time.Now()}:
		default:
		}
		if !s.b.KernelResets() { // as its kernel would have
			_ = s.setProxies(u.Name(), false)
		}
	}()
	return nil
}

// running reports whether the current run has not ended.
func (u *unit) running() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.done == nil {
		return false
	}
	select {
	case <-u.done:
		return false
	default:
		return true
	}
}

// ended returns an error once the current run has ended: for PollReady.
func (u *unit) ended() error {
	if u.running() {
		return nil
	}
	u.mu.Lock()
	err := u.waitErr
	u.mu.Unlock()
	return fmt.Errorf("exited while starting (%v); last log lines:\n  %s", err, JoinLines(u.last.Lines()))
}

// end ends the current run, as the harness asked: Kill at once, or Term and
// Kill after grace. It returns once the run has ended.
func (u *unit) end(ctx context.Context, kill bool, grace time.Duration) error {
	if !u.running() {
		return nil
	}
	u.mu.Lock()
	u.asked = true
	done := u.done
	u.mu.Unlock()
	// A signal that fails because the run ended meanwhile did its job.
	signal := func(sig Sig, verb string) error {
		if err := u.Signal(ctx, sig); err != nil && u.running() {
			return fmt.Errorf("%s %s: %w", verb, u.Name(), err)
		}
		return nil
	}
	if kill {
		if err := signal(Kill, "kill"); err != nil {
			return err
		}
	} else {
		_ = u.Signal(ctx, Resume) // a paused run cannot handle Term
		if err := signal(Term, "stop"); err != nil {
			return err
		}
		select {
		case <-done:
			return nil
		case <-time.After(grace):
		case <-ctx.Done():
		}
		if err := signal(Kill, "kill"); err != nil {
			return err
		}
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait for %s to end: %w", u.Name(), ctx.Err())
	}
}
