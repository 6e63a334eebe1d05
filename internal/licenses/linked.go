package licenses

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
)

// Targets are the systems `make cross` and the lab's own build link for.
var Targets = []string{"linux/amd64", "linux/arm64", "darwin/amd64", "darwin/arm64", "windows/amd64"}

// Dep is a module the lab links, and where the module cache holds it.
type Dep struct {
	Path, Version, Dir string
}

// Linked lists the modules linked into cmd/lab and cmd/lab-serve on any of
// Targets, by path, asking the go command in the module at root.
func Linked(root string) ([]Dep, error) {
	seen := map[string]Dep{}
	for _, t := range Targets {
		goos, goarch, _ := strings.Cut(t, "/")
		cmd := exec.Command("go", "list", "-deps", "-f", "{{with .Module}}{{.Path}}\t{{.Version}}\t{{.Dir}}{{end}}", "./cmd/lab", "./cmd/lab-serve")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH="+goarch, "CGO_ENABLED=0", "GOFLAGS=-mod=mod")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("go list for %s: %v: %s", t, err, stderr.String())
		}
		for _, l := range strings.Split(string(out), "\n") {
			f := strings.Split(l, "\t")
			if len(f) != 3 || f[1] == "" { // the main module has no version
				continue
			}
			seen[f[0]] = Dep{Path: f[0], Version: f[1], Dir: f[2]}
		}
	}
	var deps []Dep
	for _, d := range seen {
		deps = append(deps, d)
	}
	slices.SortFunc(deps, func(a, b Dep) int { return strings.Compare(a.Path, b.Path) })
	return deps, nil
}
