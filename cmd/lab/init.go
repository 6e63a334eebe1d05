package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"lab/scenarios"
)

// scenarioName is what `lab init` accepts as a name: a word a shell and a
// run folder take as they are.
var scenarioName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

func newInit() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "init NAME",
		Short: "Write a commented scenario to start from (NAME.yaml)",
		Long: `Write NAME.yaml: a scenario with every section explained, valid as written, to
edit into your own. It will not overwrite a file. To start from a built-in
scenario instead: lab explain NAME --yaml > mine.yaml.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := strings.TrimSuffix(strings.TrimSuffix(args[0], ".yaml"), ".yml")
			if !scenarioName.MatchString(name) {
				return badInput(fmt.Errorf("init %q: want a name of lower-case letters, digits and dashes, such as catalog-slow", args[0]))
			}
			if _, err := scenarios.Builtin(name); err == nil {
				return badInput(fmt.Errorf("init %s: a built-in scenario has that name; lab explain %s --yaml prints it", name, name))
			}
			data := string(scenarios.Starter(name))
			path := filepath.Join(dir, name+".yaml")
			if _, err := scenarios.Parse(path, []byte(data), nil); err != nil {
				return cannotRun(fmt.Errorf("the starter scenario does not parse: %w", err))
			}
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
			if errors.Is(err, os.ErrExist) {
				return badInput(fmt.Errorf("init: %s exists; lab init will not overwrite it", path))
			}
			if err != nil {
				return cannotRun(err)
			}
			if _, err := f.WriteString(data); err != nil {
				f.Close()
				os.Remove(path)
				return cannotRun(err)
			}
			if err := f.Close(); err != nil {
				os.Remove(path)
				return cannotRun(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s; edit it, then: lab check %s && lab run %s\n", path, path, path)
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", ".", "the folder to write it in")
	return cmd
}
