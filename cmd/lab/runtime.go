package main

import (
	"fmt"
	"io"
	"os"

	"lab/lab"
	"lab/lab/process"
)

// pickRuntime returns the runtime called name, saying which it picked for
// "auto" and why.
func pickRuntime(name string, w io.Writer) (lab.Runtime, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, cannotRun(fmt.Errorf("find the lab binary: %w", err))
	}
	proc := &process.Runtime{Command: []string{exe}}
	switch name {
	case "process":
		return proc, nil
	case "auto":
		fmt.Fprintln(w, "runtime: process (the docker runtime is not part of this build yet)")
		return proc, nil
	case "docker":
		return nil, cannotRun(fmt.Errorf("runtime docker: not part of this build yet; use --runtime process"))
	}
	return nil, badInput(fmt.Errorf("--runtime %q: want auto, process or docker", name))
}
