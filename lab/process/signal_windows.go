package process

import (
	"errors"
	"os"

	"lab/lab/skeleton"
)

// Windows ends a process but cannot ask it to end cleanly, stop or
// continue it: Term kills, and pause faults are refused.
func signal(p *os.Process, sig skeleton.Sig) error {
	switch sig {
	case skeleton.Term, skeleton.Kill:
		return p.Kill()
	}
	return errors.New("pausing a process is not supported on Windows")
}

const statesKnown = false

func state(int) string { return "" }
