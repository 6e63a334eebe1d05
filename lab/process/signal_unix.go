//go:build unix

package process

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"syscall"

	"lab/lab/skeleton"
)

func signal(p *os.Process, sig skeleton.Sig) error {
	return p.Signal(map[skeleton.Sig]syscall.Signal{skeleton.Term: syscall.SIGTERM, skeleton.Kill: syscall.SIGKILL,
		skeleton.Pause: syscall.SIGSTOP, skeleton.Resume: syscall.SIGCONT}[sig])
}

// statesKnown says whether state can read a process's state (/proc).
var statesKnown = runtime.GOOS == "linux"

// state reads the process state letter from /proc (R, S, T, Z...), or "".
func state(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	// pid (comm) STATE ...; comm may hold spaces, so cut at the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) {
		return ""
	}
	return string(b[i+2])
}
