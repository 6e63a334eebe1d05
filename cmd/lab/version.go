package main

import (
	"fmt"
	"io"
	"runtime/debug"
	"slices"

	"lab/internal/licenses"
	"lab/internal/servebin"
	"lab/internal/table"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// embedded are the modules `lab version` names: what the lab is made of.
var embedded = []string{"go.k6.io/k6", "github.com/Shopify/toxiproxy/v2", "github.com/nats-io/nats-server/v2",
	"github.com/testcontainers/testcontainers-go", "github.com/failsafe-go/failsafe-go"}

// versionInfo is `lab version --json`.
type versionInfo struct {
	Lab      string          `json:"lab"`
	License  string          `json:"license"`
	Go       string          `json:"go"`
	Children string          `json:"children"`
	Modules  []moduleLicense `json:"modules"`
}

type moduleLicense struct {
	Path    string `json:"path"`
	Version string `json:"version"`
	License string `json:"license,omitempty"`
}

func newVersion() *cobra.Command {
	var licensesFlag, asJSON bool
	cmd := &cobra.Command{
		Use:   "version [--licenses] [--json]",
		Short: "Print the lab's version and the versions of what it embeds",
		Long: `Print the lab's version and the versions of what it embeds.

--licenses lists every module linked into this binary (from its build info)
with its licence, and exits 1 if one is not known. The lab is AGPL-3.0-or-later
(LICENSE): it links k6, which is AGPL-3.0.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			info := readVersion(licensesFlag)
			w := cmd.OutOrStdout()
			if asJSON {
				if err := writeJSON(w, info); err != nil {
					return err
				}
			} else {
				printVersion(w, info, licensesFlag)
			}
			if licensesFlag {
				var unknown []string
				for _, m := range info.Modules {
					if m.License == "" {
						unknown = append(unknown, m.Path+" "+m.Version)
					}
				}
				if len(unknown) > 0 {
					return &exitError{code: ExitFail, err: fmt.Errorf("no licence known for %d modules: %v", len(unknown), unknown)}
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&licensesFlag, "licenses", false, "list every linked module with its licence")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// readVersion gathers the version, and every linked module when all is set
// (else the embedded ones), from the binary's build info.
func readVersion(all bool) versionInfo {
	info := versionInfo{Lab: version, License: licenses.Lab, Modules: []moduleLicense{}}
	if p, err := servebin.Path(); err == nil {
		info.Children = p
	} else {
		info.Children = fmt.Sprintf("the lab binary itself (%v)", err)
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return info
	}
	info.Go = bi.GoVersion
	for _, d := range bi.Deps {
		if d.Replace != nil {
			d = d.Replace
		}
		if !all && !slices.Contains(embedded, d.Path) {
			continue
		}
		m := moduleLicense{Path: d.Path, Version: d.Version}
		if all {
			m.License = licenses.Of(d.Path, d.Version)
		}
		info.Modules = append(info.Modules, m)
	}
	return info
}

func printVersion(w io.Writer, info versionInfo, all bool) {
	fmt.Fprintf(w, "lab %s (%s)\n", info.Lab, info.License)
	fmt.Fprintf(w, "children: %s\n", info.Children)
	fmt.Fprintf(w, "go %s\n", info.Go)
	if !all {
		for _, m := range info.Modules {
			fmt.Fprintf(w, "%s %s\n", m.Path, m.Version)
		}
		return
	}
	t := table.New(w)
	t.Header("module", "version", "licence")
	for _, m := range info.Modules {
		l := m.License
		if l == "" {
			l = "UNKNOWN"
		}
		t.Append(m.Path, m.Version, l)
	}
	_ = t.Render()
	fmt.Fprintf(w, "%d modules\n", len(info.Modules))
}
