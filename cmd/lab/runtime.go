package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"lab/lab"
	"lab/lab/docker"
	"lab/lab/process"
)

// engineTimeout is how long `--runtime auto` waits for a Docker engine.
const engineTimeout = 2 * time.Second

// pickRuntime returns the runtime called name, saying which it picked for
// "auto" and why.
func pickRuntime(ctx context.Context, name string, w io.Writer) (lab.Runtime, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, cannotRun(fmt.Errorf("find the lab binary: %w", err))
	}
	proc := &process.Runtime{Command: []string{exe}}
	switch name {
	case "process":
		return proc, nil
	case "docker":
		if err := docker.Static(exe); err != nil {
			return nil, cannotRun(fmt.Errorf("runtime docker: %w", err))
		}
		e, err := docker.Connect(ctx, 5*time.Second)
		if err != nil {
			return nil, cannotRun(fmt.Errorf("runtime docker: %w", err))
		}
		return &docker.Runtime{Exe: exe, Engine: e}, nil
	case "auto":
		if err := docker.Static(exe); err != nil {
			fmt.Fprintf(w, "runtime: process (%v)\n", err)
			return proc, nil
		}
		began := time.Now()
		e, err := docker.Connect(ctx, engineTimeout)
		if err != nil {
			fmt.Fprintf(w, "runtime: process (%v)\n", err)
			return proc, nil
		}
		fmt.Fprintf(w, "runtime: docker (engine %s answered in %s; --runtime process runs the shop as local processes)\n",
			e.Version, time.Since(began).Round(time.Millisecond))
		return &docker.Runtime{Exe: exe, Engine: e}, nil
	}
	return nil, badInput(fmt.Errorf("--runtime %q: want auto, process or docker", name))
}
