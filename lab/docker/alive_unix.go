//go:build unix

package docker

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
)

// pidAlive reports whether a process pid exists on this machine. A zombie
// (killed, not yet reaped by its parent: a lab killed with its `timeout`
// wrapper) is no lab: where /proc says so, it is not alive.
func pidAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	if err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		// pid (comm) STATE ...: comm may hold spaces and parentheses
		if i := strings.LastIndexByte(string(b), ')'); i > 0 && i+2 < len(b) && b[i+2] == 'Z' {
			return false
		}
	}
	return true
}
