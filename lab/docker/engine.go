// Package docker is the docker runtime: every instance of a service, the
// broker and Toxiproxy run as containers of one image that holds the lab
// binary itself, built here FROM scratch (no registry is reachable, so
// nothing is ever pulled), on a network of the run's own.
//
// Start, step by step:
//
//  1. make sure the image exists: tag lab:<hash of the binary's Go build ID>, built from
//     the binary when missing, kept for the next run;
//  2. remove what runs of dead lab processes left behind (see Clean);
//  3. create the run's network, lab-<run>;
//  4. start the broker (`lab serve broker`) and Toxiproxy
//     (`lab serve toxiproxy`) containers, and wait for both;
//  5. create the proxies through Toxiproxy's API: one per caller and callee
//     instance, one per service's broker link, one per gateway for the load;
//  6. write the config bucket, with a route per caller and instance naming
//     the proxy to dial (toxiproxy:PORT on the run's network);
//  7. start a container per instance and wait until each answers /readyz.
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
