package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"lab/internal/table"
	"lab/services/contract"

	"github.com/spf13/cobra"

	"lab/lab"
	"lab/lab/live"
	"lab/scenarios"
)

type shapeFlags struct {
	runtime  string
	replicas string
	sets     []string
	payment  string
	seed     int64
	direct   bool
	registry string
}

func (f *shapeFlags) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.runtime, "runtime", "auto", "where the shop runs: auto, process, docker or swarm")
	fl.StringVar(&f.replicas, "replicas", "", "instances per service, as svc=N,svc=N (default 1 each)")
	fl.StringArrayVar(&f.sets, "set", nil, "a config value for the shop, as key=value (repeatable)")
	fl.StringVar(&f.payment, "payment-mode", "", "how orders are paid: async (default) or sync")
	fl.Int64Var(&f.seed, "seed", 1, "seed of the catalog, the stock and the payment declines")
	fl.StringVar(&f.registry, "registry", "", registryUsage)
	fl.BoolVar(&f.direct, "no-proxies", false,
		"wire every caller straight to its callee, no Toxiproxy on any edge: to measure what the proxies cost (no network faults then)")
}

// shape builds the shop's shape from the flags; its errors are bad input.
func (f *shapeFlags) shape() (lab.Shape, error) {
	s := lab.Shape{Replicas: map[string]int{}, Config: map[string]string{}, Seed: f.seed, NoProxies: f.direct}
	replicas, err := parseReplicas(f.replicas)
	if err != nil {
		return s, err
	}
	s.Replicas = replicas
	for _, kv := range f.sets {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return s, fmt.Errorf("--set %q: want key=value", kv)
		}
		s.Config[k] = v
	}
	switch f.payment {
	case "":
	case "sync", "async":
		s.Config[contract.PaymentModeKey] = f.payment
	default:
		return s, fmt.Errorf("--payment-mode %q: want sync or async", f.payment)
	}
	return s, nil
}

// workDir returns dir, created if need be, or else a new temporary folder
// named after pattern that cleanup removes.
func workDir(dir, pattern string) (path string, cleanup func(), err error) {
	if dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", nil, cannotRun(err)
		}
		return dir, func() {}, nil
	}
	tmp, err := os.MkdirTemp("", pattern)
	if err != nil {
		return "", nil, cannotRun(err)
	}
	return tmp, func() { os.RemoveAll(tmp) }, nil
}

// parseReplicas reads "catalog=3,payments=2".
func parseReplicas(spec string) (map[string]int, error) {
	out := map[string]int{}
	if strings.TrimSpace(spec) == "" {
		return out, nil
	}
	for _, part := range strings.Split(spec, ",") {
		svc, n, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return nil, fmt.Errorf("--replicas %q: want svc=N, got %q", spec, part)
		}
		if !lab.IsService(svc) {
			return nil, fmt.Errorf("--replicas: unknown service %q (want one of %s)", svc, strings.Join(contract.Services, ", "))
		}
		count, err := strconv.Atoi(n)
		if err != nil || count < 1 || count > 50 {
			return nil, fmt.Errorf("--replicas: %s=%s: want a count from 1 to 50", svc, n)
		}
		out[svc] = count
	}
	return out, nil
}

func newUp() *cobra.Command {
	var sf shapeFlags
	var dir, faultsFile, sdFile string
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Bring the shop up and keep it up until Ctrl-C",
		Long: "Bring the whole shop up, every edge behind a Toxiproxy proxy, and keep it up until\n" +
			"SIGINT or SIGTERM. Once it is healthy, lab prints `gateway: URL` and `ready in DURATION`.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			shape, err := sf.shape()
			if err != nil {
				return badInput(err)
			}
			if err := checkLiveFile(faultsFile, shape); err != nil {
				return badInput(err)
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
			return up(cmd.Context(), rt, shape, upFiles{dir: dir, faults: faultsFile, sd: sdFile}, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	sf.add(cmd)
	cmd.Flags().StringVar(&faultsFile, "faults", "", "a live fault file: the faults in force now, applied again on every save")
	cmd.Flags().StringVar(&dir, "dir", "", "keep data and logs in this folder (default: a temporary folder, removed at exit)")
	cmd.Flags().StringVar(&sdFile, "prometheus-sd", "", "write the Prometheus file_sd targets of every instance's /metrics here "+
		"(default: prometheus-targets.json in --dir); emptied when lab up ends")
	return cmd
}

// upFiles are the files and folders of a lab up.
type upFiles struct {
	dir    string // data and logs; "" for a temporary folder
	faults string // a live fault file, or ""
	sd     string // the Prometheus file_sd targets file, or "" for dir's
}

func up(ctx context.Context, rt lab.Runtime, shape lab.Shape, files upFiles, stdout, stderr io.Writer) error {
	began := time.Now()
	faultsFile := files.faults
	dir, cleanup, err := workDir(files.dir, "lab-up-*")
	if err != nil {
		return err
	}
	defer cleanup()
	shop, err := rt.Start(ctx, lab.Params{Shape: shape, Dir: dir, Progress: stderr})
	if shop != nil {
		defer func() {
			fmt.Fprintln(stderr, "stopping the shop")
			shop.Close()
		}()
	}
	if err != nil {
		if ctx.Err() != nil {
			return interrupted("starting the shop")
		}
		return cannotRun(fmt.Errorf("start the shop: %w", err))
	}
	fmt.Fprintf(stdout, "gateway: %s\n", shop.GatewayURL())
	fmt.Fprintf(stdout, "toxiproxy: %s\n", shop.ToxiproxyURL())
	fmt.Fprintf(stdout, "broker: %s\n", shop.BrokerURL())
	sd := files.sd
	if sd == "" {
		sd = filepath.Join(dir, "prometheus-targets.json")
	}
	if err := writeTargets(sd, shop); err != nil {
		return cannotRun(fmt.Errorf("write the Prometheus targets: %w", err))
	}
	defer writeTargets(sd, nil) // a Prometheus watching it drops the shop's targets
	fmt.Fprintf(stdout, "prometheus: %s (file_sd targets of every instance's /metrics)\n", sd)
	fmt.Fprintf(stdout, "ready in %s\n", time.Since(began).Round(time.Millisecond))
	printInstances(stdout, shop)
	// On a terminal, a live view of the shop redraws under the table, and
	// the fault changes are shown in it rather than scrolling it away.
	var view *live.View
	var log io.Writer = stdout
	if f, ok := stdout.(*os.File); ok && isTerminal(f) {
		view = &live.View{Shop: shop, W: stdout}
		log = view
	}
	set, _, stopLive, err := startLive(ctx, shop, shape, faultsFile, stdout, log, true)
	if err != nil {
		var se *scenarios.Error
		switch {
		case errors.As(err, &se):
			return badInput(err)
		case ctx.Err() != nil:
			return interrupted("applying the live fault file")
		}
		return cannotRun(err)
	}
	defer stopLive()
	fmt.Fprintln(stdout, "up; Ctrl-C stops everything")
	if view != nil {
		view.Live = set
		vctx, stopView := context.WithCancel(ctx)
		defer stopView()
		go view.Run(vctx)
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case e, ok := <-shop.Exits():
			if !ok {
				return nil
			}
			fmt.Fprintf(stderr, "%s  %s exited: %v; last log lines:\n", e.At.Format(time.TimeOnly), e.Instance, e.Err)
			for _, l := range e.Last {
				fmt.Fprintf(stderr, "  %s\n", l)
			}
		}
	}
}

// printInstances writes a table of instances, their addresses and the
// proxies in front of them.
func printInstances(w io.Writer, shop lab.Shop) {
	into := map[string][]string{}
	for _, p := range shop.Proxies() {
		if i := strings.Index(p.Name, "->"); i >= 0 {
			callee := p.Name[i+2:]
			into[callee] = append(into[callee], p.Name[:i]+" "+p.Listen)
		}
	}
	ins := shop.Instances()
	placed := false
	for _, in := range ins {
		placed = placed || in.Node != ""
	}
	t := table.New(w)
	if placed {
		t.Header("instance", "node", "container", "address", "proxies in front")
	} else {
		t.Header("instance", "pid/container", "address", "proxies in front")
	}
	for _, in := range ins {
		via := into[in.Name]
		sort.Strings(via)
		id := in.Container
		if id == "" {
			id = strconv.Itoa(in.PID)
		}
		if placed {
			t.Append(in.Name, in.Node, id, in.Addr, strings.Join(via, "\n"))
		} else {
			t.Append(in.Name, id, in.Addr, strings.Join(via, "\n"))
		}
	}
	t.Render()
}
