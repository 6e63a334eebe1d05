package docker

import (
	"context"

	"github.com/moby/moby/client"
)

// What the tests do to containers behind the runtime's back.

func (e *Engine) KillContainer(ctx context.Context, id string) error {
	_, err := e.cli.ContainerKill(ctx, id, client.ContainerKillOptions{Signal: "SIGKILL"})
	return err
}

func (e *Engine) ContainerState(ctx context.Context, id string) (string, error) {
	r, err := e.cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		return "", err
	}
	return string(r.Container.State.Status), nil
}

func (e *Engine) CreateNetwork(ctx context.Context, name string, labels map[string]string) error {
	_, err := e.cli.NetworkCreate(ctx, name, client.NetworkCreateOptions{Driver: "bridge", Labels: labels})
	return err
}

func (e *Engine) ImageLabels(ctx context.Context, tag string) (map[string]string, error) {
	r, err := e.cli.ImageInspect(ctx, tag)
	if err != nil {
		return nil, err
	}
	return r.Config.Labels, nil
}

func (e *Engine) ContainerNamed(ctx context.Context, name string) (string, error) {
	r, err := e.cli.ContainerInspect(ctx, name, client.ContainerInspectOptions{})
	if err != nil {
		return "", err
	}
	return r.Container.ID, nil
}

var GoBuildID = goBuildID
