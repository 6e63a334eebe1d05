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
	"regexp"
	"strconv"
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
		Use:   "fault add SPEC | add KIND TARGET [KEY=VALUE...] | rm NAME | ls",
		Short: "Change the faults of a running lab up: add, remove, list",
		Long: "Talk to the control API of a running `lab up`: its URL and token are in the file lab up\n" +
			"leaves in the temporary folder, readable by its user alone (or --control URL with\n" +
			"LAB_CONTROL_TOKEN). SPEC is one fault entry as in a live\n" +
			"fault file, in YAML flow style, or its kind, target and fields as words (the name\n" +
			"defaults to KIND-TARGET):\n\n" +
			"  lab fault add '{name: slow-catalog, target: catalog, kind: latency, latency: 300ms}'\n" +
			"  lab fault add latency catalog latency=300ms name=slow-catalog\n" +
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
		Use: "add SPEC | KIND TARGET [KEY=VALUE...]", Short: "Put a fault in force now", Args: cobra.MinimumNArgs(1),
		ValidArgsFunction: completeFaultAdd,
		RunE: func(cmd *cobra.Command, args []string) error {
			spec, err := faultSpec(args)
			if err != nil {
				return badInput(err)
			}
			var c faults.Change
			if err := call(http.MethodPost, "/faults", []byte(spec), &c); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), c)
			return nil
		},
	}
	inForce := func() ([]faults.Active, error) {
		var list []faults.Active
		return list, call(http.MethodGet, "/faults", nil, &list)
	}
	rm := &cobra.Command{
		Use: "rm NAME", Short: "Remove a fault in force", Args: cobra.ExactArgs(1),
		ValidArgsFunction: completeInForce(inForce),
		RunE: func(cmd *cobra.Command, args []string) error {
			var c faults.Change
			if err := call(http.MethodDelete, "/faults/"+args[0], nil, &c); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), c)
			return nil
		},
	}
	var lsJSON bool
	ls := &cobra.Command{
		Use: "ls [--json]", Short: "List the faults in force", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			list := []faults.Active{}
			if err := call(http.MethodGet, "/faults", nil, &list); err != nil {
				return err
			}
			if lsJSON {
				return writeJSON(cmd.OutOrStdout(), list)
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
	ls.Flags().BoolVar(&lsJSON, "json", false, "print JSON")
	cmd.AddCommand(add, rm, ls)
	return cmd
}

// plainWord is a value written into a flow-style entry as it is: YAML reads
// it as the same scalar the user typed (300ms, 503, 0.5, orders->payments).
var plainWord = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._%/>-]*$`)

// faultSpec turns the arguments of `lab fault add` into one fault entry in
// YAML flow style: a SPEC as it is, or KIND TARGET [KEY=VALUE...].
func faultSpec(args []string) (string, error) {
	if strings.HasPrefix(strings.TrimSpace(args[0]), "{") {
		if len(args) > 1 {
			return "", fmt.Errorf("fault add: a SPEC is one argument (quote it); then %q", args[1])
		}
		return args[0], nil
	}
	if len(args) < 2 {
		return "", fmt.Errorf("fault add %s: want KIND TARGET [KEY=VALUE...] (kinds: %s) or a SPEC in braces", args[0], strings.Join(faults.Kinds(), ", "))
	}
	fields := [][2]string{{"kind", args[0]}, {"target", args[1]}}
	named := false
	for _, kv := range args[2:] {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" || !plainWord.MatchString(k) {
			return "", fmt.Errorf("fault add: %q: want KEY=VALUE, such as latency=300ms", kv)
		}
		if k == "kind" || k == "target" {
			return "", fmt.Errorf("fault add: %q: the kind and target are the first two words", kv)
		}
		named = named || k == "name"
		fields = append(fields, [2]string{k, v})
	}
	if !named {
		name := strings.NewReplacer("->", "-", ".", "-").Replace(args[0] + "-" + args[1])
		fields = append(fields, [2]string{"name", name})
	}
	var parts []string
	for _, f := range fields {
		v := f[1]
		if !plainWord.MatchString(v) {
			v = strconv.Quote(v) // a JSON string is a YAML double-quoted one
		}
		parts = append(parts, f[0]+": "+v)
	}
	return "{" + strings.Join(parts, ", ") + "}", nil
}
