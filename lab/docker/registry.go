package docker

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/cpuguy83/dockercfg"
	"github.com/distribution/reference"
	"github.com/moby/moby/client"
)

// ParseRegistry checks a --registry value: a repository with its registry's
// host, HOST[:PORT]/REPO, without tag or digest (the lab tags its image).
// It returns the repository as the engine names it.
func ParseRegistry(s string) (string, error) {
	host, _, ok := strings.Cut(s, "/")
	if !ok || !strings.ContainsAny(host, ".:") && host != "localhost" {
		return "", fmt.Errorf("--registry %q: want HOST[:PORT]/REPO, such as registry.example.com/lab or 127.0.0.1:5000/lab", s)
	}
	named, err := reference.ParseNormalizedNamed(s)
	if err != nil {
		return "", fmt.Errorf("--registry %q: %w (want HOST[:PORT]/REPO)", s, err)
	}
	if !reference.IsNameOnly(named) {
		return "", fmt.Errorf("--registry %q: want a repository without tag or digest; the lab tags its image itself", s)
	}
	return named.Name(), nil
}

// registryAuth is the X-Registry-Auth value for repo's registry: the
// credentials the Docker CLI keeps for its host (config.json, or its
// credential helper), or none, which is "{}" (the engine refuses a push
// without the header).
func registryAuth(repo string) string {
	creds := map[string]string{}
	if named, err := reference.ParseNormalizedNamed(repo); err == nil {
		host := reference.Domain(named)
		if user, pass, err := dockercfg.GetRegistryCredentials(host); err == nil && (user != "" || pass != "") {
			creds = map[string]string{"username": user, "password": pass, "serveraddress": host}
		}
	}
	b, _ := json.Marshal(creds)
	return base64.URLEncoding.EncodeToString(b)
}

// pushImage tags image (lab:HASH) as repo:HASH and pushes it there, for
// the nodes to pull; it returns the reference the services run.
func pushImage(ctx context.Context, cli client.APIClient, image, repo, auth string) (string, error) {
	_, tag, _ := strings.Cut(image, ":")
	ref := repo + ":" + tag
	if _, err := cli.ImageTag(ctx, client.ImageTagOptions{Source: image, Target: ref}); err != nil {
		return "", fmt.Errorf("tag image %s as %s: %w", image, ref, err)
	}
	resp, err := cli.ImagePush(ctx, ref, client.ImagePushOptions{RegistryAuth: auth})
	if err == nil {
		err = resp.Wait(ctx)
	}
	if err != nil {
		return "", fmt.Errorf("push image %s: %w", ref, err)
	}
	return ref, nil
}
