package shoptest

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"lab/lab"
	"lab/lab/docker"
)

// RequireDockerEnv, set to 1, turns a missing Docker engine from a skip into
// a failure: CI sets it, so that its docker tests cannot quietly not run.
const RequireDockerEnv = "LAB_REQUIRE_DOCKER"

// Docker returns a connection to the Docker engine, skipping tb when there is
// none (failing it instead under LAB_REQUIRE_DOCKER=1).
func Docker(tb testing.TB) *docker.Engine {
	tb.Helper()
	e, err := docker.Connect(context.Background(), 5*time.Second)
	if err != nil {
		if os.Getenv(RequireDockerEnv) == "1" {
			tb.Fatalf("%s=1 and no Docker engine: %v", RequireDockerEnv, err)
		}
		tb.Skipf("no Docker engine (set %s=1 to fail instead): %v", RequireDockerEnv, err)
	}
	tb.Cleanup(func() { e.Close() })
	return e
}

// DockerRuntime returns the docker runtime running services from the test
// binary itself.
func DockerRuntime(e *docker.Engine) *docker.Runtime {
	return &docker.Runtime{Exe: os.Args[0], Env: ServeEnv, Engine: e}
}

// StartDocker brings up a shop of shape in containers and closes it when the
// test ends.
func StartDocker(tb testing.TB, e *docker.Engine, shape lab.Shape) lab.Shop {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := DockerRuntime(e).Start(ctx, lab.Params{Shape: shape, Dir: tb.TempDir()})
	if s != nil {
		tb.Cleanup(func() { s.Close() })
	}
	if err != nil {
		tb.Fatalf("start shop in docker: %v", err)
	}
	return s
}

// RemoveTestImage removes the image of this test binary, if a test built
// one: each build of a test binary has an image of its own, and nothing
// would ever reuse it. Call it from TestMain after the tests.
func RemoveTestImage() {
	e, err := docker.Connect(context.Background(), 2*time.Second)
	if err != nil {
		return
	}
	defer e.Close()
	exe, err := os.Executable()
	if err != nil {
		return
	}
	tag, err := docker.ImageTag(exe)
	if err != nil {
		return
	}
	if err := e.RemoveImage(context.Background(), tag); err != nil && !docker.IsNotFound(err) {
		fmt.Fprintln(os.Stderr, "remove test image:", err)
	}
}
