package load

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// localImport finds the local modules a script imports or requires:
// import x from './lib.js', import './setup.js', require("../data.js"),
// open('./users.json').
var localImport = regexp.MustCompile(`(?:\bfrom\s*|\bimport\s*|\brequire\s*\(\s*|\bopen\s*\(\s*)['"](\.{1,2}/[^'"]+)['"]`)

// CopyScript copies the script at path and every local file it imports,
// requires or opens (recursively) into dir, keeping their layout relative
// to the folder that holds them all, so `lab run DIR/...` replays the run.
// It returns the copied main script's path.
func CopyScript(path, dir string) (string, error) {
	main, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	files := []string{main}
	seen := map[string]bool{main: true}
	for i := 0; i < len(files) && i < 1000; i++ {
		f := files[i]
		if !strings.HasSuffix(f, ".js") && !strings.HasSuffix(f, ".mjs") {
			continue // data a script opens: copied, not read for imports
		}
		b, err := os.ReadFile(f)
		if err != nil {
			return "", fmt.Errorf("copy the script: %w", err)
		}
		for _, m := range localImport.FindAllStringSubmatch(string(b), -1) {
			dep := filepath.Join(filepath.Dir(f), m[1])
			if _, err := os.Stat(dep); err != nil && filepath.Ext(dep) == "" {
				dep += ".js" // require('./lib') means lib.js
			}
			if !seen[dep] {
				seen[dep] = true
				files = append(files, dep)
			}
		}
	}
	root := filepath.Dir(main)
	for _, f := range files {
		for !strings.HasPrefix(f, root+string(filepath.Separator)) && root != filepath.Dir(root) {
			root = filepath.Dir(root)
		}
	}
	for _, f := range files {
		rel, err := filepath.Rel(root, f)
		if err != nil {
			return "", err
		}
		b, err := os.ReadFile(f)
		if err != nil {
			return "", fmt.Errorf("copy the script: %w", err)
		}
		dst := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			return "", err
		}
	}
	rel, _ := filepath.Rel(root, main)
	return filepath.Join(dir, rel), nil
}
