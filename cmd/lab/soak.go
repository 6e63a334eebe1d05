package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"lab/internal/table"
	"lab/lab"
	"lab/lab/soak"
)

func newSoak() *cobra.Command {
	var sf shapeFlags
	var dir, jsonPath string
	var duration, sample, every time.Duration
	var rate int
	cmd := &cobra.Command{
		Use:   "soak",
		Short: "Hold the shop under load for a long time, toggling faults, and look for growth",
		Long: `Bring the shop up, drive the shopper journey at --rate for --duration, and every
--toggle put a fault on or off, through a live fault file and the control API in turn
(as a trainer does in front of a class). Every --sample, read the lab's own and every
instance's memory, goroutines and open descriptors; every second, time the Toxiproxy API.

At the end, a table per process and metric: the medians of the first, middle and last
thirds of the samples, and whether the series climbed steadily. The soak passes when
none did and the Toxiproxy API's p99 stayed under 50 ms.

Exit codes: 0 pass; 1 a series climbed or the API slowed; 2 bad input; 3 the lab could
not run; 130 interrupted (the table covers what ran).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			shape, err := sf.shape()
			if err != nil {
				return badInput(err)
			}
			switch {
			case duration < 10*time.Second || duration > 24*time.Hour:
				return badInput(fmt.Errorf("--duration %s: want 10s to 24h", duration))
			case sample < time.Second || sample > duration/3:
				return badInput(fmt.Errorf("--sample %s: want at least 1s and at most a third of --duration, for three samples", sample))
			case every < 500*time.Millisecond:
				return badInput(fmt.Errorf("--toggle %s: want at least 500ms", every))
			case rate < 1 || rate > 2000:
				return badInput(fmt.Errorf("--rate %d: want 1 to 2000 iterations a second", rate))
			}
			repo, err := checkRegistry(sf.registry, sf.runtime)
			if err != nil {
				return badInput(err)
			}
			rt, err := pickRuntime(cmd.Context(), sf.runtime, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			rt = withRegistry(rt, repo)
			dir, cleanup, err := workDir(dir, "lab-soak-*")
			if err != nil {
				return err
			}
			defer cleanup()
			p := soak.Params{Duration: duration, Sample: sample, Toggle: every, Rate: rate, Dir: dir,
				FaultFile: filepath.Join(dir, "faults.yaml"), Progress: cmd.ErrOrStderr()}
			return runSoak(cmd.Context(), rt, shape, p, jsonPath, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	sf.add(cmd)
	fl := cmd.Flags()
	fl.DurationVar(&duration, "duration", time.Hour, "how long the soak lasts")
	fl.DurationVar(&sample, "sample", time.Minute, "how often every process's usage is read")
	fl.DurationVar(&every, "toggle", 5*time.Second, "how often a fault goes on or off")
	fl.IntVar(&rate, "rate", 50, "the load's iterations a second (the shopper journey)")
	fl.StringVar(&jsonPath, "json", "", "write every sample and the verdict to this file")
	fl.StringVar(&dir, "dir", "", "keep the shop's data and logs in this folder (default: a temporary folder, removed at exit)")
	return cmd
}

func runSoak(ctx context.Context, rt lab.Runtime, shape lab.Shape, p soak.Params, jsonPath string, stdout, stderr io.Writer) error {
	shop, err := rt.Start(ctx, lab.Params{Shape: shape, Dir: p.Dir, Progress: stderr})
	if shop != nil {
		defer shop.Close()
	}
	if err != nil {
		if ctx.Err() != nil {
			return interrupted("starting the shop")
		}
		return cannotRun(fmt.Errorf("start the shop: %w", err))
	}
	if err := os.WriteFile(p.FaultFile, []byte("faults: []\n"), 0o644); err != nil {
		return cannotRun(err)
	}
	_, ctl, stopLive, err := startLive(ctx, shop, shape, p.FaultFile, io.Discard, stderr, false)
	if err != nil {
		return cannotRun(err)
	}
	defer stopLive()
	exe, _ := os.Executable()
	p.Shop, p.Command, p.ControlURL, p.ControlToken = shop, []string{exe}, ctl.URL, ctl.Token
	fmt.Fprintf(stderr, "soak: %s on the %s runtime, %d iterations/s, a fault toggled every %s, usage read every %s\n",
		p.Duration, lab.Describe(rt), p.Rate, p.Toggle, p.Sample)
	run, err := soak.Soak(ctx, p)
	v := soak.Judge(run)
	printSoak(stdout, run, v)
	if jsonPath != "" {
		b, _ := json.MarshalIndent(struct {
			*soak.Run
			Verdict soak.Verdict `json:"verdict"`
		}{run, v}, "", "  ")
		if werr := os.WriteFile(jsonPath, b, 0o644); werr != nil {
			return cannotRun(werr)
		}
	}
	switch {
	case ctx.Err() != nil:
		return interrupted("soaking")
	case err != nil && !errors.Is(err, context.DeadlineExceeded):
		return cannotRun(err)
	case !v.Pass:
		return &exitError{code: ExitFail, err: errors.New("soak fail: " + v.Reason)}
	}
	fmt.Fprintln(stdout, "soak: PASS ("+v.Reason+")")
	return nil
}

// printSoak writes the trend table and the run's counts.
func printSoak(w io.Writer, run *soak.Run, v soak.Verdict) {
	t := table.New(w)
	t.Header("process", "metric", "first third", "middle third", "last third", "allowed growth", "")
	for _, tr := range v.Trends {
		verdict := "steady"
		if !tr.Pass {
			verdict = "CLIMBS"
		}
		t.Append(tr.Process, tr.Metric, num(tr.First), num(tr.Middle), num(tr.Last), num(tr.Allowed), verdict)
	}
	t.Render()
	fmt.Fprintf(w, "samples: %d; load: %d requests, %d failed, in %d k6 segments; faults toggled %d times by the file, %d by the API (%d errors)\n",
		len(run.Samples), run.Requests, run.Failed, run.Segments, run.Toggles["file"], run.Toggles["api"], len(run.ToggleErrors))
	for _, e := range run.ToggleErrors {
		fmt.Fprintf(w, "  toggle error: %s\n", e)
	}
	fmt.Fprintf(w, "Toxiproxy API: %d answers timed, p99 %.1f ms (bound %d ms)\n", len(run.APIMs), v.APIP99Ms, soak.MaxAPIP99Ms)
}

func num(x float64) string { return strconv.FormatFloat(x, 'f', 1, 64) }

// interrupted is the error of a command that SIGINT or SIGTERM ended while
// it was doing what.
func interrupted(what string) error {
	return &exitError{code: ExitInterrupted, err: errors.New("interrupted while " + what)}
}
