package docker_test

import (
	"context"
	"os"
	"testing"

	"lab/internal/shoptest"
	"lab/lab"
	"lab/lab/docker"
)

// BenchmarkImageBuild measures a cold build of the image (the test binary,
// about the size of lab), removing it before each build.
func BenchmarkImageBuild(b *testing.B) {
	e := shoptest.Docker(b)
	ctx := context.Background()
	exe, _ := os.Executable()
	for b.Loop() {
		b.StopTimer()
		if tag, _, err := e.EnsureImage(ctx, exe); err == nil {
			_ = e.RemoveImage(ctx, tag)
		}
		b.StartTimer()
		if _, built, err := e.EnsureImage(ctx, exe); err != nil || !built {
			b.Fatalf("build: built %v, %v", built, err)
		}
	}
}

// BenchmarkStart measures a warm start (the image cached) of a healthy
// shop in containers, up to every instance ready; Close is not timed.
func BenchmarkStart(b *testing.B) {
	e := shoptest.Docker(b)
	rt := shoptest.DockerRuntime(e)
	ctx := context.Background()
	if _, _, err := e.EnsureImage(ctx, rt.Exe); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		s, err := rt.Start(ctx, lab.Params{Shape: lab.Shape{Seed: 1}, Dir: b.TempDir()})
		b.StopTimer()
		if s != nil {
			s.Close()
		}
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

// BenchmarkImageTag measures naming the image, done at every docker start.
func BenchmarkImageTag(b *testing.B) {
	exe, _ := os.Executable()
	for b.Loop() {
		if _, err := docker.ImageTag(exe); err != nil {
			b.Fatal(err)
		}
	}
}
