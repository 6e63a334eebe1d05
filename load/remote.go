package load

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Host runs generators as tasks away from the harness (the swarm runtime's,
// on its nodes). The harness ships the script as a k6 archive, dials each
// task's stream (a task on another machine may not reach the harness, but
// the harness reaches the ports tasks publish), and copies each one's
// summary and file outputs back into the run folder once it has ended, so
// that a run reads them as it reads a local generator's.
type Host interface {
	// Gateways are the gateway's load proxies as the tasks reach them
	// (HOST:PORT); generator i loads the i-th, round robin.
	Gateways() []string
	// StartGenerator starts t and returns once its task runs.
	StartGenerator(ctx context.Context, t Task) (Generator, error)
}

// Task is one generator as a Host runs it: the lab binary with Args, in
// Env, the script's archive at TaskArchive, a writable folder at TaskDir,
// serving its stream on Port.
type Task struct {
	// Index counts the generators from 1.
	Index   int
	Args    []string
	Env     []string // KEY=VALUE
	Archive []byte
	Port    int
	// Log receives the task's output while it runs.
	Log io.Writer
}

// Generator is a generator's task.
type Generator interface {
	// Node names where it runs.
	Node() string
	// Stream is where the harness dials its stream.
	Stream() string
	// Wait waits for its end: nil, or an error whose ExitCode method
	// says k6's exit status when it has one.
	Wait() error
	// Signal interrupts it (k6 stops its scenarios and writes its
	// summary), or kills it.
	Signal(kill bool) error
	// Fetch reads a file the task wrote, once it has ended.
	Fetch(path string) ([]byte, error)
}

// In a generator's task: the script's archive, the folder k6 writes its
// summary and file outputs in, and the port its stream is served on.
const (
	TaskArchive = "/lab-load/archive.tar"
	TaskDir     = "/lab-k6"
	StreamPort  = 6566
)

// MaxArchive is the most a script's archive may weigh: a swarm config's
// limit, which carries it to the nodes.
const MaxArchive = 500 * 1024

// StartTimeout bounds the start of a generator's task, the image pulled
// or present.
const StartTimeout = 2 * time.Minute

// archive writes the script's k6 archive (the script, what it imports and
// opens, and its options as the plan's variables and the first gateway
// make them) and returns it.
func archive(ctx context.Context, p Plan, script string) ([]byte, error) {
	path := filepath.Join(p.Dir, "load", "k6-archive.tar")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("archive the script: %w", err)
	}
	args := append(append([]string{}, p.Command[1:]...), "k6", "archive", "--quiet", "--no-color", "-O", path)
	env := map[string]string{}
	maps.Copy(env, p.Env)
	if gw := p.Host.Gateways(); len(gw) > 0 {
		env["BASE_URL"] = "http://" + gw[0]
	}
	for _, k := range slices.Sorted(maps.Keys(env)) {
		args = append(args, "-e", k+"="+env[k])
	}
	actx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	cmd := exec.CommandContext(actx, p.Command[0], append(args, script)...)
	cmd.Dir = p.Dir
	cmd.Env = append(os.Environ(), "K6_NO_USAGE_REPORT=true")
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("archive the script for the generators' tasks: %w\n%s", err, lastLines(string(out), 8))
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("archive the script: %w", err)
	}
	if len(b) > MaxArchive {
		return nil, fmt.Errorf("the script's k6 archive (%s, with what it imports and opens) weighs %d KB, and a generator's task takes %d KB at most "+
			"(a swarm config carries it): run the load on the harness's machine (--load-nodes without --runtime swarm) or open less data",
			filepath.Base(script), len(b)/1024, MaxArchive/1024)
	}
	return b, nil
}

// taskEnv is a task's environment: the user's K6_* settings (as a local
// generator has them: the rest of the harness's environment stays on its
// machine), then what every generator is given (k6Env).
func taskEnv(p Plan, baseURL string, i, n int) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "K6_") {
			env = append(env, kv)
		}
	}
	return append(env, k6Env(p, baseURL, i, n)...)
}

// startTask starts generator i of n on the host: its summary and file
// outputs go to TaskDir, copied back to the run folder when it ends.
func (r *Run) startTask(ctx context.Context, p Plan, arc []byte, i, n int) (Generator, func() error, string, error) {
	gw := p.Host.Gateways()
	if len(gw) == 0 {
		return nil, nil, "", errors.New("start the generators' tasks: the shop has no gateway proxy its tasks reach")
	}
	suffix, summary, logPath, logf, err := generatorFiles(p, i)
	if err != nil {
		return nil, nil, "", err
	}
	fetch := map[string]string{TaskDir + "/k6-summary.json": summary} // in the task -> here
	args := []string{"k6", "run", "--quiet", "--no-color",
		"--out", fmt.Sprintf("%s=%s0.0.0.0:%d", OutputName, ServePrefix, StreamPort), "--summary-export", TaskDir + "/k6-summary.json"}
	if n > 1 {
		segs, seq := Segments(n)
		args = append(args, "--execution-segment", segs[i], "--execution-segment-sequence", seq)
	}
	for j, o := range p.Outs {
		out := apart(absOut(o), suffix)
		if kind, path, ok := strings.Cut(out, "="); ok && (kind == "json" || kind == "csv") {
			in := fmt.Sprintf("%s/out-%d-%s", TaskDir, j+1, filepath.Base(path))
			fetch[in] = path
			out = kind + "=" + in
		}
		args = append(args, "--out", out)
	}
	sctx, cancel := context.WithTimeout(ctx, StartTimeout)
	defer cancel()
	g, err := p.Host.StartGenerator(sctx, Task{Index: i + 1, Args: append(args, TaskArchive),
		Env: taskEnv(p, "http://"+gw[i%len(gw)], i, n), Archive: arc, Port: StreamPort, Log: logf})
	if err != nil {
		logf.Close()
		return nil, nil, "", fmt.Errorf("start k6 generator %d of %d: %w", i+1, n, err)
	}
	r.mu.Lock()
	r.SummaryPaths = append(r.SummaryPaths, summary)
	r.Nodes = append(r.Nodes, g.Node())
	r.mu.Unlock()
	wait := func() error {
		err := g.Wait()
		defer logf.Close()
		var errs []error
		for _, in := range slices.Sorted(maps.Keys(fetch)) {
			b, ferr := g.Fetch(in)
			if ferr == nil {
				ferr = os.WriteFile(fetch[in], b, 0o644)
			}
			if ferr != nil {
				errs = append(errs, fmt.Errorf("copy %s from generator %d's task: %w", filepath.Base(fetch[in]), i+1, ferr))
			}
		}
		if err != nil {
			return err
		}
		return errors.Join(errs...)
	}
	return g, wait, logPath, nil
}
