package docker

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// discover readies the environment testcontainers-go finds the engine from
// and says where the engine will be found. testcontainers-go (v0.44) reads,
// in order, tc.host in ~/.testcontainers.properties, DOCKER_HOST, the
// default socket, docker.host in the properties and a rootless socket; it
// does not read the Docker CLI's contexts. The lab adds them where the
// Docker CLI puts them, right after DOCKER_HOST: DOCKER_CONTEXT, else the
// config's currentContext (DOCKER_CONFIG, else ~/.docker), sets DOCKER_HOST
// to its endpoint for testcontainers, and so finds what `docker` itself
// would.
func discover() (source string, err error) {
	props := readProperties()
	if h := props["tc.host"]; h != "" {
		return "tc.host in ~/.testcontainers.properties", nil
	}
	if os.Getenv("DOCKER_HOST") != "" {
		return "DOCKER_HOST", nil
	}
	name, host, err := dockerContext()
	if err != nil {
		return "", err
	}
	if host != "" {
		if err := os.Setenv("DOCKER_HOST", host); err != nil {
			return "", err
		}
		return "docker context " + name, nil
	}
	if h := props["docker.host"]; h != "" {
		return "the default socket, else docker.host in ~/.testcontainers.properties", nil
	}
	return "the default socket", nil
}

// readProperties reads ~/.testcontainers.properties (key=value lines).
func readProperties() map[string]string {
	out := map[string]string{}
	home, err := os.UserHomeDir()
	if err != nil {
		return out
	}
	f, err := os.Open(filepath.Join(home, ".testcontainers.properties"))
	if err != nil {
		return out
	}
	defer f.Close()
	return parseProperties(f)
}

// parseProperties reads key=value lines, as testcontainers does (# and !
// begin comments).
func parseProperties(r io.Reader) map[string]string {
	out := map[string]string{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		if k, v, ok := strings.Cut(line, "="); ok {
			out[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return out
}

// dockerContext returns the Docker CLI's current context and its docker
// endpoint, or "" when it is the default one (DOCKER_HOST or the socket).
func dockerContext() (name, host string, err error) {
	dir := os.Getenv("DOCKER_CONFIG")
	if dir == "" {
		home, herr := os.UserHomeDir()
		if herr != nil {
			return "", "", nil
		}
		dir = filepath.Join(home, ".docker")
	}
	name = os.Getenv("DOCKER_CONTEXT")
	if name == "" {
		b, rerr := os.ReadFile(filepath.Join(dir, "config.json"))
		if rerr != nil {
			return "", "", nil // no config: the default context
		}
		var cfg struct {
			CurrentContext string `json:"currentContext"`
		}
		if jerr := json.Unmarshal(b, &cfg); jerr != nil {
			return "", "", fmt.Errorf("%s: %w", filepath.Join(dir, "config.json"), jerr)
		}
		name = cfg.CurrentContext
	}
	if name == "" || name == "default" {
		return "", "", nil
	}
	sum := sha256.Sum256([]byte(name))
	meta := filepath.Join(dir, "contexts", "meta", hex.EncodeToString(sum[:]), "meta.json")
	b, err := os.ReadFile(meta)
	if err != nil {
		return "", "", fmt.Errorf("docker context %q: %w", name, err)
	}
	host, err = contextHost(b)
	if err != nil {
		return "", "", fmt.Errorf("docker context %q: %s: %w", name, meta, err)
	}
	return name, host, nil
}

// contextHost reads a context's meta.json for its docker endpoint.
func contextHost(b []byte) (string, error) {
	var m struct {
		Endpoints map[string]struct {
			Host string `json:"Host"`
		} `json:"Endpoints"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return "", err
	}
	host := m.Endpoints["docker"].Host
	if host == "" {
		return "", errors.New("no docker endpoint")
	}
	return host, nil
}
