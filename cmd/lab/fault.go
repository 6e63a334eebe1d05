package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"lab/faults"
	"lab/internal/table"
	"lab/lab"
	"lab/lab/experiment"
	"lab/lab/live"
	"lab/scenarios"
)

// checkLiveFile validates a live fault file before anything starts.
func checkLiveFile(path string, shape lab.Shape) error {
	if path == "" {
		return nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil // created later, watched from the start
	}
	if err != nil {
		return err
	}
	_, err = scenarios.ParseLive(path, data, shape)
	return err
}

// startLive serves the control API of shop and, with a file, applies it
// and watches it; it says so on out, and logs every change on log. With
// publish, it leaves the control file for `lab fault`. stop removes every
// live fault and stops both.
func startLive(ctx context.Context, shop lab.Shop, shape lab.Shape, file string, out, log io.Writer, publish bool) (set *faults.Live, ctl control, stop func(), err error) {
	env, closeEnv, err := experiment.FaultEnv(ctx, shop)
	if err != nil {
		return nil, ctl, nil, err
	}
	set = faults.NewLive(env, shape)
	api := &live.API{Live: set, Shape: shape, Log: log}
	if err := api.Start(); err != nil {
		closeEnv()
		return nil, ctl, nil, err
	}
	ctl = control{URL: api.URL(), Token: api.Token()}
	if publish {
		if err := writeControl(ctl); err != nil {
			fmt.Fprintf(out, "control: cannot leave the control file %s for lab fault: %v\n", controlFile(), err)
		}
		fmt.Fprintf(out, "control: %s (lab fault add|rm|ls; its token is in %s, for this user only)\n", api.URL(), controlFile())
	}
	wctx, cancel := context.WithCancel(ctx)
	var done <-chan struct{}
	stop = func() {
		cancel()
		if done != nil {
			<-done
		}
		api.Close()
		cctx, ccancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer ccancel()
		_ = set.Clear(cctx)
		closeEnv()
		if publish {
			removeControl(ctl)
		}
	}
	if file == "" {
		return set, ctl, stop, nil
	}
	// Watch first, then load: a save between the two is not missed.
	w := &live.Watcher{Path: file, Shape: shape, Live: set, Log: log}
	if done, err = w.Start(wctx); err != nil {
		stop()
		return nil, ctl, nil, err
	}
	if err := w.Load(ctx); err != nil {
		stop()
		return nil, ctl, nil, err
	}
	fmt.Fprintf(out, "faults: watching %s; save it to change the faults in force\n", file)
	return set, ctl, stop, nil
}

func newFault() *cobra.Command {
	var url string
	cmd := &cobra.Command{
		Use:   "fault add SPEC | rm NAME | ls",
		Short: "Change the faults of a running lab up: add, remove, list",
		Long: "Talk to the control API of a running `lab up`: its URL and token are in the file lab up\n" +
			"leaves in the temporary folder, readable by its user alone (or --control URL with\n" +
			"LAB_CONTROL_TOKEN). SPEC is one fault entry as in a live\n" +
			"fault file, in YAML flow style:\n\n" +
			"  lab fault add '{name: slow-catalog, target: catalog, kind: latency, latency: 300ms}'\n" +
			"  lab fault ls\n  lab fault rm slow-catalog",
	}
	cmd.PersistentFlags().StringVar(&url, "control", "", "the control API's URL (default: LAB_CONTROL, then the running lab up's); its token from LAB_CONTROL_TOKEN")
	base := func() (control, error) {
		if url == "" {
			url = os.Getenv("LAB_CONTROL")
		}
		if url != "" {
			return control{URL: url, Token: os.Getenv("LAB_CONTROL_TOKEN")}, nil
		}
		c, err := readControl()
		if errors.Is(err, os.ErrNotExist) {
			return c, cannotRun(fmt.Errorf("no running lab up found (%s): start one, or pass --control URL with LAB_CONTROL_TOKEN", controlFile()))
		}
		if err != nil {
			return c, cannotRun(err)
		}
		return c, nil
	}
	call := func(method, path string, body []byte, into any) error {
		c, err := base()
		if err != nil {
			return err
		}
		req, _ := http.NewRequest(method, c.URL+path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+c.Token)
		resp, err := (&http.Client{Timeout: 20 * time.Second}).Do(req)
		if err != nil {
			return cannotRun(fmt.Errorf("control api %s: %w", c.URL, err))
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		switch {
		case resp.StatusCode == http.StatusBadRequest:
			return badInput(errors.New(strings.TrimSpace(string(b))))
		case resp.StatusCode/100 != 2:
			return cannotRun(errors.New(strings.TrimSpace(string(b))))
		}
		if into != nil {
			return json.Unmarshal(b, into)
		}
		return nil
	}
	add := &cobra.Command{
		Use: "add SPEC", Short: "Put a fault in force now", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var c faults.Change
			if err := call(http.MethodPost, "/faults", []byte(args[0]), &c); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), c)
			return nil
		},
	}
	rm := &cobra.Command{
		Use: "rm NAME", Short: "Remove a fault in force", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var c faults.Change
			if err := call(http.MethodDelete, "/faults/"+args[0], nil, &c); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), c)
			return nil
		},
	}
	ls := &cobra.Command{
		Use: "ls", Short: "List the faults in force", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var list []faults.Active
			if err := call(http.MethodGet, "/faults", nil, &list); err != nil {
				return err
			}
			t := table.New(cmd.OutOrStdout())
			t.Header("fault", "kind", "target", "from the", "in force for")
			for _, a := range list {
				t.Append(a.Spec.Name, a.Spec.Kind, a.Spec.Target, a.Origin, time.Since(a.Since).Round(time.Second).String())
			}
			t.Render()
			return nil
		},
	}
	cmd.AddCommand(add, rm, ls)
	return cmd
}
