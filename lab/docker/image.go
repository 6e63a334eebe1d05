package docker

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
)

// ImageRepo is the repository of the images the runtime builds.
const ImageRepo = "lab"

// dockerfile puts the lab binary alone in an image: no shell, no libc.
const dockerfile = "FROM scratch\nCOPY lab /lab\nENTRYPOINT [\"/lab\"]\n"

// Static returns an error unless exe is a statically linked ELF binary, the
// only kind that runs FROM scratch.
func Static(exe string) error {
	r, err := os.Open(exe)
	if err != nil {
		return fmt.Errorf("read %s: %w", exe, err)
	}
	head := make([]byte, 4)
	_, _ = io.ReadFull(r, head)
	r.Close()
	if string(head) != elf.ELFMAG { // a macOS or Windows build: the image runs on Linux
		return fmt.Errorf("%s is not a Linux binary, and the docker runtime runs the lab binary in a Linux image: run a Linux build (GOOS=linux CGO_ENABLED=0 go build ./cmd/lab), or --runtime process", exe)
	}
	f, err := elf.Open(exe)
	if err != nil {
		return fmt.Errorf("read %s: %w", exe, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%s is dynamically linked (built with cgo); the docker runtime needs a static binary: build it with CGO_ENABLED=0 (make build)", exe)
		}
	}
	return nil
}

// ImageTag returns the tag of the image holding exe: lab:<first 16 hex
// digits of the SHA-256 of its Go build ID>, so a rebuilt binary gets an
// image of its own. The build ID already hashes the binary's content, and
// reading it costs microseconds where hashing 100 MB took 140 ms of every
// docker start; a binary without one (not built by Go) is hashed whole.
func ImageTag(exe string) (string, error) {
	h := sha256.New()
	if id, err := goBuildID(exe); err == nil && id != "" {
		h.Write([]byte(id))
	} else {
		f, err := os.Open(exe)
		if err != nil {
			return "", fmt.Errorf("hash %s: %w", exe, err)
		}
		defer f.Close()
		if _, err := io.Copy(h, f); err != nil {
			return "", fmt.Errorf("hash %s: %w", exe, err)
		}
	}
	return ImageRepo + ":" + hex.EncodeToString(h.Sum(nil))[:16], nil
}

// goBuildID reads the build ID the Go linker writes into an ELF note.
func goBuildID(exe string) (string, error) {
	f, err := elf.Open(exe)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sec := f.Section(".note.go.buildid")
	if sec == nil {
		return "", errors.New("no Go build ID")
	}
	data, err := sec.Data()
	if err != nil {
		return "", err
	}
	// An ELF note: name size, descriptor size, type, then the name ("Go"
	// padded to 4 bytes) and the descriptor, the build ID.
	if len(data) < 16 {
		return "", errors.New("short Go build ID note")
	}
	nameSize, descSize := f.ByteOrder.Uint32(data[0:]), f.ByteOrder.Uint32(data[4:])
	start := 12 + (int(nameSize)+3)&^3
	if start+int(descSize) > len(data) {
		return "", errors.New("bad Go build ID note")
	}
	return string(data[start : start+int(descSize)]), nil
}

// EnsureImage returns the tag of the image holding exe, building it from exe
// when the engine lacks it (built reports that it did). It never pulls: the
// image is FROM scratch.
func (e *Engine) EnsureImage(ctx context.Context, exe string) (tag string, built bool, err error) {
	if err := Static(exe); err != nil {
		return "", false, err
	}
	tag, err = ImageTag(exe)
	if err != nil {
		return "", false, err
	}
	if _, err := e.cli.ImageInspect(ctx, tag); err == nil {
		return tag, false, nil
	}
	if err := e.build(ctx, exe, tag, false); err != nil {
		return "", false, fmt.Errorf("build image %s: %w", tag, err)
	}
	return tag, true, nil
}

// BuildCold builds the image of exe from nothing, no build cache, under a
// tag of its own, times it, and removes it: what a first run on a machine
// pays, without touching the image the runtime uses.
func (e *Engine) BuildCold(ctx context.Context, exe string) (time.Duration, error) {
	if err := Static(exe); err != nil {
		return 0, err
	}
	tag := fmt.Sprintf("%s:cold-%d-%d", ImageRepo, os.Getpid(), time.Now().UnixNano())
	began := time.Now()
	err := e.build(ctx, exe, tag, true)
	took := time.Since(began)
	if rmErr := e.RemoveImage(context.WithoutCancel(ctx), tag); err == nil && rmErr != nil && !IsNotFound(rmErr) {
		err = rmErr
	}
	return took, err
}

// build builds the image through testcontainers-go (its BuildImage, which
// retries what an engine refuses for a moment and reads the build's
// messages for errors). The build context is two files, the Dockerfile and
// the binary, streamed to the engine as a tar archive, never held whole.
func (e *Engine) build(ctx context.Context, exe, tag string, noCache bool) error {
	_, err := e.tc.BuildImage(ctx, &imageBuild{exe: exe, tag: tag, noCache: noCache})
	return err
}

// imageBuild is the lab image's build, as testcontainers-go takes one.
type imageBuild struct {
	exe, tag string
	noCache  bool
}

var _ testcontainers.ImageBuildInfo = (*imageBuild)(nil)

// BuildOptions makes a new context stream at each call (a retried build
// reads it again).
func (ib *imageBuild) BuildOptions() (client.ImageBuildOptions, error) {
	ctxr, err := ib.GetContext()
	if err != nil {
		return client.ImageBuildOptions{}, err
	}
	return client.ImageBuildOptions{
		Context: ctxr, Tags: []string{ib.tag}, Dockerfile: "Dockerfile", Remove: true, ForceRemove: true,
		NoCache: ib.noCache, Labels: map[string]string{LabelImage: "true"},
	}, nil
}

// GetContext streams the tar archive of the Dockerfile and the binary.
func (ib *imageBuild) GetContext() (io.Reader, error) {
	f, err := os.Open(ib.exe)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	pr, pw := io.Pipe()
	go func() {
		defer f.Close()
		tw := tar.NewWriter(pw)
		err := tw.WriteHeader(&tar.Header{Name: "Dockerfile", Mode: 0o644, Size: int64(len(dockerfile)), ModTime: st.ModTime()})
		if err == nil {
			_, err = io.WriteString(tw, dockerfile)
		}
		if err == nil {
			err = tw.WriteHeader(&tar.Header{Name: "lab", Mode: 0o755, Size: st.Size(), ModTime: st.ModTime()})
		}
		if err == nil {
			_, err = io.Copy(tw, f)
		}
		if err == nil {
			err = tw.Close()
		}
		pw.CloseWithError(err)
	}()
	return pr, nil
}

func (ib *imageBuild) GetDockerfile() string                          { return "Dockerfile" }
func (ib *imageBuild) GetRepo() string                                { return ImageRepo }
func (ib *imageBuild) GetTag() string                                 { return strings.TrimPrefix(ib.tag, ImageRepo+":") }
func (ib *imageBuild) BuildLogWriter() io.Writer                      { return io.Discard }
func (ib *imageBuild) ShouldBuildImage() bool                         { return true }
func (ib *imageBuild) GetBuildArgs() map[string]*string               { return nil }
func (ib *imageBuild) GetAuthConfigs() map[string]registry.AuthConfig { return nil }

// RemoveImage removes the image tag (tests do, for the images of their own
// test binaries).
func (e *Engine) RemoveImage(ctx context.Context, tag string) error {
	_, err := e.cli.ImageRemove(ctx, tag, client.ImageRemoveOptions{Force: true, PruneChildren: true})
	return err
}

// since formats t for the engine's log API.
func since(t time.Time) string { return fmt.Sprintf("%d.%09d", t.Unix(), t.Nanosecond()) }

// IsNotFound reports whether err says that the engine has no such thing.
func IsNotFound(err error) bool { return cerrdefs.IsNotFound(err) }
