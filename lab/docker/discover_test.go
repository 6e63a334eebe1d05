package docker

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// home makes an empty home and Docker config for discover.
func home(t *testing.T) (homeDir, dockerDir string) {
	homeDir = t.TempDir()
	t.Setenv("HOME", homeDir)
	t.Setenv("DOCKER_CONFIG", "")
	t.Setenv("DOCKER_CONTEXT", "")
	t.Setenv("DOCKER_HOST", "")
	os.Unsetenv("DOCKER_HOST")
	dockerDir = filepath.Join(homeDir, ".docker")
	return homeDir, dockerDir
}

func writeContext(t *testing.T, dockerDir, name, host string) {
	sum := sha256.Sum256([]byte(name))
	dir := filepath.Join(dockerDir, "contexts", "meta", hex.EncodeToString(sum[:]))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	meta := `{"Name":"` + name + `","Metadata":{},"Endpoints":{"docker":{"Host":"` + host + `","SkipTLSVerify":false}}}`
	if err := os.WriteFile(filepath.Join(dir, "meta.json"), []byte(meta), 0o644); err != nil {
		t.Fatal(err)
	}
}

func write(t *testing.T, path, s string) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestDiscoverOrder: testcontainers' order, with the Docker CLI's context
// where the CLI reads it: tc.host, DOCKER_HOST, DOCKER_CONTEXT, the
// config's current context, the default socket.
func TestDiscoverOrder(t *testing.T) {
	t.Run("the current context", func(t *testing.T) {
		_, d := home(t)
		write(t, filepath.Join(d, "config.json"), `{"currentContext":"podman"}`)
		writeContext(t, d, "podman", "unix:///run/podman/podman.sock")
		src, err := discover()
		if err != nil || src != "docker context podman" || os.Getenv("DOCKER_HOST") != "unix:///run/podman/podman.sock" {
			t.Fatalf("source %q, DOCKER_HOST %q, err %v", src, os.Getenv("DOCKER_HOST"), err)
		}
	})
	t.Run("DOCKER_CONTEXT over the config", func(t *testing.T) {
		_, d := home(t)
		write(t, filepath.Join(d, "config.json"), `{"currentContext":"podman"}`)
		writeContext(t, d, "podman", "unix:///run/podman/podman.sock")
		writeContext(t, d, "remote", "tcp://127.0.0.9:2375")
		t.Setenv("DOCKER_CONTEXT", "remote")
		if src, err := discover(); err != nil || src != "docker context remote" || os.Getenv("DOCKER_HOST") != "tcp://127.0.0.9:2375" {
			t.Fatalf("source %q, DOCKER_HOST %q, err %v", src, os.Getenv("DOCKER_HOST"), err)
		}
	})
	t.Run("DOCKER_HOST over a context", func(t *testing.T) {
		_, d := home(t)
		write(t, filepath.Join(d, "config.json"), `{"currentContext":"podman"}`)
		writeContext(t, d, "podman", "unix:///run/podman/podman.sock")
		t.Setenv("DOCKER_HOST", "unix:///var/run/docker.sock")
		if src, err := discover(); err != nil || src != "DOCKER_HOST" || os.Getenv("DOCKER_HOST") != "unix:///var/run/docker.sock" {
			t.Fatalf("source %q, DOCKER_HOST %q, err %v", src, os.Getenv("DOCKER_HOST"), err)
		}
	})
	t.Run("tc.host over everything", func(t *testing.T) {
		h, _ := home(t)
		write(t, filepath.Join(h, ".testcontainers.properties"), "# mine\ntc.host = tcp://127.0.0.9:2375\n")
		t.Setenv("DOCKER_HOST", "unix:///var/run/docker.sock")
		if src, err := discover(); err != nil || !strings.HasPrefix(src, "tc.host") {
			t.Fatalf("source %q, err %v", src, err)
		}
	})
	t.Run("the default", func(t *testing.T) {
		_, d := home(t)
		write(t, filepath.Join(d, "config.json"), `{"currentContext":"default"}`)
		if src, err := discover(); err != nil || src != "the default socket" || os.Getenv("DOCKER_HOST") != "" {
			t.Fatalf("source %q, DOCKER_HOST %q, err %v", src, os.Getenv("DOCKER_HOST"), err)
		}
	})
	t.Run("a context that is not there", func(t *testing.T) {
		home(t)
		t.Setenv("DOCKER_CONTEXT", "gone")
		if _, err := discover(); err == nil || !strings.Contains(err.Error(), `docker context "gone"`) {
			t.Fatalf("err %v, want one naming the context", err)
		}
	})
}

func TestContextHostWithoutEndpoint(t *testing.T) {
	if _, err := contextHost([]byte(`{"Name":"x","Endpoints":{}}`)); err == nil {
		t.Fatal("a context without a docker endpoint was accepted")
	}
	if h, err := contextHost([]byte(`{"Endpoints":{"docker":{"Host":"unix:///x.sock"}}}`)); err != nil || h != "unix:///x.sock" {
		t.Fatalf("host %q, err %v", h, err)
	}
}

// FuzzDiscoveryFiles: no properties file or context meta panics the lab.
func FuzzDiscoveryFiles(f *testing.F) {
	f.Add([]byte("tc.host=tcp://127.0.0.1:2375\n# c\n!c\nbad line\n=\n"))
	f.Add([]byte(`{"Endpoints":{"docker":{"Host":"unix:///run/podman/podman.sock"}}}`))
	f.Add([]byte(`{"Endpoints":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		props := parseProperties(strings.NewReader(string(b)))
		for k := range props {
			if strings.Contains(k, "\n") {
				t.Fatalf("key %q spans lines", k)
			}
		}
		if h, err := contextHost(b); err == nil && h == "" {
			t.Fatal("an empty host without an error")
		}
	})
}
