package lifeline

import "syscall"

// On Linux the kernel kills the child with its parent besides.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// pipes: a child can be handed the lifeline.
const pipes = true
