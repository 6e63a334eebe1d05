package docker

import "os"

// pidAlive reports whether a process pid exists on this machine: on
// Windows, finding a process opens it, which fails once it is gone.
func pidAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	p.Release()
	return true
}
