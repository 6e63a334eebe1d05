//go:build unix

package docker

import (
	"errors"
	"syscall"
)

// pidAlive reports whether a process pid exists on this machine.
func pidAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
