// Package docker is the docker runtime: every instance of a service, the
// broker and Toxiproxy run as containers of one image that holds the lab
// binary itself, built here FROM scratch (no registry is reachable, so
// nothing is ever pulled), on a network of the run's own.
//
// The skeleton (lab/skeleton) wires the shop; this package supplies where
// each unit runs: before the skeleton starts, the image exists (tag
// lab:<hash of the binary's Go build ID>, built from the binary when
// missing, kept for the next run); Prepare removes what runs of dead lab
// processes left behind (see Clean) and creates the run's network,
// lab-<run>; the broker (`lab serve broker`), Toxiproxy (`lab serve
// toxiproxy`) and each instance are a container on it, and services dial
// their proxies at toxiproxy:PORT.
//
// The harness reaches the containers from the host through ports published
// on 127.0.0.1 and fixed for the run, so they survive a restart: the
// gateway's proxies (the load), every instance (metrics, admin), the broker
// and Toxiproxy's API. Everything the run creates carries the label
// lab.run=<run>, and lab.owner=<host>/<pid> so that `lab clean` can tell the
// leftovers of a crashed lab from the containers of one still running.
package docker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/moby/moby/client"
)

// Labels on everything the docker runtime creates.
const (
	LabelRun      = "lab.run"      // the run's id
	LabelOwner    = "lab.owner"    // HOST/PID of the lab process that made it
	LabelInstance = "lab.instance" // the instance a container runs
	LabelImage    = "lab.image"    // on images the runtime built
)

// ErrNoEngine is returned by Connect when no Docker engine answers.
var ErrNoEngine = errors.New("docker: no engine answered")

// Engine is a connection to a Docker engine, through the Docker API.
type Engine struct {
	cli *client.Client
	// Version is the engine's version, as it reports it.
	Version string
}

// Connect connects to the engine that DOCKER_HOST (and DOCKER_TLS_VERIFY,
// DOCKER_CERT_PATH, DOCKER_API_VERSION) or the default socket names, and
// asks its version; it returns an error wrapping ErrNoEngine if none answers
// within timeout.
func Connect(ctx context.Context, timeout time.Duration) (*Engine, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cli, err := client.New(client.FromEnv)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoEngine, err)
	}
	v, err := cli.ServerVersion(ctx, client.ServerVersionOptions{})
	if err != nil {
		cli.Close()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%w within %s", ErrNoEngine, timeout)
		}
		return nil, fmt.Errorf("%w: %v", ErrNoEngine, err)
	}
	return &Engine{cli: cli, Version: v.Version}, nil
}

// Close closes the connection.
func (e *Engine) Close() error { return e.cli.Close() }
