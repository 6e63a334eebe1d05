package docker

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestParseRegistry: a repository with its registry's host, as the engine
// names it; anything else an error that says what is wanted.
func TestParseRegistry(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:5000/lab":            "127.0.0.1:5000/lab",
		"localhost/lab":                 "localhost/lab",
		"registry.example.com/team/lab": "registry.example.com/team/lab",
		"docker.io/me/lab":              "docker.io/me/lab",
		"lab":                           "want HOST[:PORT]/REPO",
		"me/lab":                        "want HOST[:PORT]/REPO",
		"127.0.0.1:5000/lab:v1":         "without tag or digest",
		"127.0.0.1:5000/Lab":            "want HOST[:PORT]/REPO",
		"":                              "want HOST[:PORT]/REPO",
	} {
		got, err := ParseRegistry(in)
		if err != nil {
			got = err.Error()
		}
		if !strings.Contains(got, want) {
			t.Errorf("ParseRegistry(%q) = %q, want %q in it", in, got, want)
		}
	}
}

// TestRegistryAuth: the Docker CLI's credentials for the registry's host,
// and "{}" without any (the engine refuses a push without the header).
func TestRegistryAuth(t *testing.T) {
	_, dir := home(t)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := `{"auths": {"registry.example.com": {"auth": "` + base64.StdEncoding.EncodeToString([]byte("me:secret")) + `"}}}`
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	decode := func(s string) map[string]string {
		b, err := base64.URLEncoding.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]string
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	if got := decode(registryAuth("registry.example.com/lab")); got["username"] != "me" || got["password"] != "secret" || got["serveraddress"] != "registry.example.com" {
		t.Errorf("credentials %v, want me and secret for registry.example.com", got)
	}
	if got := decode(registryAuth("127.0.0.1:5000/lab")); len(got) != 0 {
		t.Errorf("credentials for a registry without login %v, want none", got)
	}
}

// FuzzParseRegistry: no --registry value panics its parser, and what it
// accepts is a repository with a host and without a tag.
func FuzzParseRegistry(f *testing.F) {
	for _, s := range []string{"127.0.0.1:5000/lab", "localhost/lab", "lab", "a.b/c:d", "a.b/c@sha256:", ":/", "[::1]:5000/lab"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseRegistry(s)
		if err != nil {
			return
		}
		if !strings.Contains(got, "/") || strings.ContainsAny(got[strings.LastIndex(got, "/"):], ":@") {
			t.Fatalf("ParseRegistry(%q) accepted %q", s, got)
		}
	})
}
