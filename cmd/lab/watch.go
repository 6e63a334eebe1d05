package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/spf13/cobra"

	"lab/reports"
)

// watchQuiet is how long the watched files must be quiet after a save
// before the scenario runs again.
const watchQuiet = 200 * time.Millisecond

func newWatch() *cobra.Command {
	var runtime, duration string
	var sets []string
	cmd := &cobra.Command{
		Use:   "watch PATH",
		Short: "Run a scenario file again whenever it or its k6 script changes",
		Long: "Run the scenario, then watch its file (and its k6 script, if it names one). A save\n" +
			"starts it again, cancelling a run still going (its shop is stopped, its report\n" +
			"written as interrupted). A file that does not parse is reported with file, line and\n" +
			"column, and the next save is awaited. Each run gets its own folder under runs/.\n" +
			"Ctrl-C stops watching.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := args[0]
			if _, err := os.Stat(path); err != nil {
				return badInput(fmt.Errorf("watch %s: want a scenario file (built-in scenarios do not change; copy one from scenarios/builtin/): %w", path, err))
			}
			var pre []string
			if duration != "" {
				pre = append(pre, "duration="+duration)
			}
			rt, err := pickRuntime(cmd.Context(), runtime, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			fw, err := fsnotify.NewWatcher()
			if err != nil {
				return cannotRun(err)
			}
			defer fw.Close()
			watched := map[string]bool{}
			watch := func(file string) {
				abs, err := filepath.Abs(file)
				if err != nil || watched[abs] {
					return
				}
				watched[abs] = true
				_ = fw.Add(filepath.Dir(abs))
			}
			watch(path)
			stderr := cmd.ErrOrStderr()
			for {
				// One run, cancelled by a change of a watched file.
				sc, err := openScenario(cmd.Context(), path, append(pre, sets...))
				if err == nil && sc.ScriptPath() != "" {
					watch(sc.ScriptPath())
				}
				runCtx, cancel := context.WithCancel(cmd.Context())
				finished := make(chan struct{})
				go func() {
					defer close(finished)
					if err != nil {
						fmt.Fprintf(stderr, "lab: %v\n", err)
						return
					}
					out := filepath.Join("runs", time.Now().UTC().Format("20060102T150405Z")+"-"+sc.Name)
					res, err := runOnce(runCtx, cmd, sc, rt, out, "", loadOptions{})
					if err != nil {
						fmt.Fprintf(stderr, "lab: %v\n", err)
						return
					}
					reports.Terminal(cmd.OutOrStdout(), res)
					fmt.Fprintf(cmd.OutOrStdout(), "run folder: %s\n", out)
				}()
				names := make([]string, 0, len(watched))
				for f := range watched {
					names = append(names, f)
				}
				changed, err := waitChange(cmd.Context(), fw, watched, finished, func() {
					fmt.Fprintf(stderr, "watching %s; save to run again, Ctrl-C to stop\n", strings.Join(names, ", "))
				})
				cancel()
				<-finished
				if err != nil || !changed {
					return nil // Ctrl-C: the normal end of watching
				}
				fmt.Fprintf(stderr, "%s changed: running again\n", time.Now().Format("15:04:05"))
			}
		},
	}
	f := cmd.Flags()
	f.StringVar(&runtime, "runtime", "auto", "where the shop runs: auto, process, docker or swarm")
	f.StringVar(&duration, "duration", "", "override the scenario's measured duration, such as 10s")
	f.StringArrayVar(&sets, "set", nil, "override a field, as key=value")
	return cmd
}

// waitChange returns true once a watched file changed and the files were
// quiet for watchQuiet, false when ctx ends. idle is called once the run
// (finished) is over.
func waitChange(ctx context.Context, fw *fsnotify.Watcher, watched map[string]bool, finished <-chan struct{}, idle func()) (bool, error) {
	var quiet <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return false, nil
		case <-finished:
			finished = nil
			idle()
		case ev, ok := <-fw.Events:
			if !ok {
				return false, errors.New("watcher closed")
			}
			if watched[filepath.Clean(ev.Name)] && ev.Op&(fsnotify.Write|fsnotify.Create|fsnotify.Rename) != 0 {
				quiet = time.After(watchQuiet)
			}
		case err := <-fw.Errors:
			return false, err
		case <-quiet:
			return true, nil
		}
	}
}
