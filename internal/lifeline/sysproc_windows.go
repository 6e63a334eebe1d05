package lifeline

import "syscall"

// A process group of its own: a console Ctrl-C reaches the lab alone.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{CreationFlags: syscall.CREATE_NEW_PROCESS_GROUP}
}

// pipes: Windows hands a child no file beyond stdio (exec.Cmd.ExtraFiles),
// so a child there outlives a lab that is killed.
const pipes = false
