package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	goruntime "runtime"
	"time"

	"lab/internal/servebin"
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
	exe = children(exe, w)
	proc := &process.Runtime{Command: []string{exe}}
	switch name {
	case "process":
		return proc, nil
	case "docker", "swarm":
		image, err := imageProgram(exe)
		var e *docker.Engine
		if err == nil {
			e, err = docker.Connect(ctx, 5*time.Second)
		}
		if err != nil {
			return nil, cannotRun(fmt.Errorf("runtime %s: %w", name, err))
		}
		if name == "docker" {
			fmt.Fprintf(w, "runtime: docker, %s\n", engineLine(e))
			return &docker.Runtime{Exe: image, Engine: e}, nil
		}
		sw, err := e.CheckManager(ctx)
		if err != nil {
			e.Close()
			return nil, cannotRun(fmt.Errorf("runtime swarm: %w", err))
		}
		fmt.Fprintf(w, "runtime: swarm, %d %s, manager %s\n", sw.Nodes, lab.Plural(sw.Nodes, "node", "nodes"), engineLine(e))
		return &docker.SwarmRuntime{Exe: image, LoadExe: loadExe(), Engine: e}, nil
	case "auto":
		image, err := imageProgram(exe)
		if err != nil {
			fmt.Fprintf(w, "runtime: process (%v)\n", err)
			return proc, nil
		}
		began := time.Now()
		e, err := docker.Connect(ctx, engineTimeout)
		if err != nil {
			fmt.Fprintf(w, "runtime: process (%v)\n", err)
			return proc, nil
		}
		fmt.Fprintf(w, "runtime: docker, %s, answered in %s (--runtime process runs the shop as local processes)\n",
			engineLine(e), time.Since(began).Round(time.Millisecond))
		return &docker.Runtime{Exe: image, Engine: e}, nil
	}
	return nil, badInput(fmt.Errorf("--runtime %q: want auto, process, docker or swarm", name))
}

// registryUsage is --registry of run and up: where a swarm run's image goes
// for the nodes to pull.
const registryUsage = "with --runtime swarm: push the lab's image to this repository (HOST[:PORT]/REPO) for the nodes to pull, instead of copying it to each node's engine"

// checkRegistry checks --registry before anything starts: a repository,
// and a swarm run's (the other runtimes' images stay on this machine).
func checkRegistry(registry, runtime string) (string, error) {
	if registry == "" {
		return "", nil
	}
	if runtime != "swarm" {
		return "", fmt.Errorf("--registry %s: only --runtime swarm uses a registry, for its nodes to pull the image; --runtime %s keeps the image on this machine", registry, runtime)
	}
	return docker.ParseRegistry(registry)
}

// withRegistry gives a swarm runtime the repository checkRegistry returned.
func withRegistry(rt lab.Runtime, repo string) lab.Runtime {
	if sw, ok := rt.(*docker.SwarmRuntime); ok {
		sw.Registry = repo
	}
	return rt
}

// imageProgram returns the program the docker runtime's image runs: a
// static Linux one. On Linux that is the children's program itself; on
// macOS and Windows, the Linux lab-serve make build packs beside the native
// one.
func imageProgram(children string) (string, error) {
	if goruntime.GOOS == "linux" {
		return children, docker.Static(children)
	}
	p, err := servebin.LinuxPath()
	if err != nil {
		return "", fmt.Errorf("the docker runtime's image runs a Linux lab-serve, and this lab carries none (%v): "+
			"build the lab with make build on this machine (it packs one for linux/%s; it needs Go), or use --runtime process",
			err, goruntime.GOARCH)
	}
	return p, docker.Static(p)
}

// loadExe is the program a swarm's generator tasks run: the lab binary
// itself (lab-serve has no k6), when it is a static Linux one; else "".
func loadExe() string {
	self, err := os.Executable()
	if err != nil || goruntime.GOOS != "linux" || docker.Static(self) != nil {
		return ""
	}
	return self
}

// engineLine names the engine, where it was found and where its ports are
// reached.
func engineLine(e *docker.Engine) string {
	return fmt.Sprintf("%s at %s (from %s; ports on %s)", e.Name(), e.Endpoint, e.Source, e.Bind)
}

// children returns the program every child of a runtime runs (and the
// docker image holds): lab-serve, which this lab carries when make built it
// (internal/servebin), or else the lab binary itself.
func children(exe string, w io.Writer) string {
	p, err := servebin.Path()
	if err == nil {
		return p
	}
	if !errors.Is(err, servebin.ErrNotBuilt) {
		fmt.Fprintf(w, "children: %v; they run the lab binary itself\n", err)
	}
	return exe
}
