// Package lifeline ends the lab's children when the lab ends, however it
// ends (SIGKILL included), on every system: each child gets the read end of
// a pipe whose write end only the lab holds; when the lab is gone the
// kernel closes it, the child reads end-of-file and exits. On Linux the
// child is also asked to be killed with its parent (Pdeathsig); elsewhere
// the pipe is the only way.
//
// The parent calls Attach on each command before starting it; every child
// (`lab serve`, `lab k6`) calls Watch first thing.
package lifeline

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync"
)

// Env names the environment variable that tells a child which of its file
// descriptors is the lifeline.
const Env = "LAB_LIFELINE_FD"

var (
	once    sync.Once
	reader  *os.File // handed to every child
	pipeErr error
	// held keeps the write end, never written, for the life of this
	// process: a package variable stays reachable, so no finalizer closes
	// it. Its being open is its use.
	held []*os.File
)

// Attach hands cmd the lifeline (after any ExtraFiles it already has) and
// puts the child in a process group of its own, so that a Ctrl-C reaches
// the lab alone, which stops its children in order.
func Attach(cmd *exec.Cmd) error {
	cmd.SysProcAttr = sysProcAttr()
	if !pipes { // Windows hands a child no file beyond stdio
		return nil
	}
	once.Do(func() {
		var w *os.File
		if reader, w, pipeErr = os.Pipe(); pipeErr == nil {
			held = append(held, w)
		}
	})
	if pipeErr != nil {
		return fmt.Errorf("lifeline: %w", pipeErr)
	}
	cmd.ExtraFiles = append(cmd.ExtraFiles, reader)
	if cmd.Env == nil {
		cmd.Env = os.Environ()
	}
	cmd.Env = append(cmd.Env, Env+"="+strconv.Itoa(2+len(cmd.ExtraFiles)))
	return nil
}

// Watch, in a child started with Attach, exits the process once the parent
// is gone. It returns at once; without a lifeline it does nothing.
func Watch() {
	fd, err := strconv.Atoi(os.Getenv(Env))
	if err != nil || fd < 3 {
		return
	}
	os.Unsetenv(Env) // not for this child's own children
	f := os.NewFile(uintptr(fd), "lifeline")
	if f == nil {
		return
	}
	go func() {
		_, _ = io.Copy(io.Discard, f) // returns at end-of-file: the parent is gone
		fmt.Fprintln(os.Stderr, "lab: the parent lab process is gone; exiting")
		os.Exit(3)
	}()
}
