package load

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"lab/internal/lifeline"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

//go:embed journeys/*.js
var journeys embed.FS

// Journeys returns the names of the built-in journeys, sorted.
func Journeys() []string {
	entries, _ := fs.ReadDir(journeys, "journeys")
	var out []string
	for _, e := range entries {
		if n := strings.TrimSuffix(e.Name(), ".js"); n != "lib" {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// IsJourney reports whether name is a built-in journey.
func IsJourney(name string) bool {
	for _, j := range Journeys() {
		if j == name {
			return true
		}
	}
	return false
}

// Plan is one k6 run.
type Plan struct {
	// Command runs the lab binary; the run appends "k6 run ...".
	Command []string
	// Journey is a built-in journey, or Script the path of a user's script.
	Journey string
	Script  string
	// BaseURL is the gateway, passed to the script as __ENV.BASE_URL.
	BaseURL string
	// Env holds the LAB_* variables the journeys read (rate, duration...).
	Env map[string]string
	// Dir receives k6.log, summary.json and the journey's files.
	Dir string
	// Generators is how many k6 processes run the test, each its k6
	// execution segment (0 or 1: one, the whole test).
	Generators int
	// Host, if set, runs the generators as its tasks (Host); else they
	// are processes of this machine.
	Host Host
	// Outs are more k6 outputs, as k6's --out takes them (json=run.json,
	// csv=run.csv, experimental-prometheus-rw, opentelemetry, ...), beside
	// the lab's own; a relative file path is made absolute first, since
	// k6 runs in Dir. K6_* settings in the environment reach k6 as they are.
	Outs []string
}

// Run is a k6 run in progress.
type Run struct {
	Collector *Collector
	// ThresholdsCrossed says k6 ended with exit 99: a threshold of the
	// script failed (and, with abortOnFail, k6 stopped the test early).
	// Valid after Done.
	ThresholdsCrossed bool
	// Generators is how many k6 processes run the test, each its
	// execution segment; SummaryPaths are their own end-of-test summaries
	// (--summary-export), absolute paths: k6 runs in the run folder.
	Generators   int
	SummaryPaths []string
	// Nodes says where each generator ran, when they ran as a host's tasks.
	Nodes []string
	mu    sync.Mutex // guards procs, SummaryPaths, Nodes, ThresholdsCrossed while they start and end
	procs []proc
	ended atomic.Bool // End was called
	done  chan struct{}
	err   error
}

// Start writes the journey out (for a built-in one), starts the collector
// and `lab k6 run` with the "lab" output pointed at it: as processes of
// this machine, or as tasks of p.Host.
func Start(ctx context.Context, p Plan) (*Run, error) {
	script := p.Script
	if p.Journey != "" {
		dir := filepath.Join(p.Dir, "load")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("write journey: %w", err)
		}
		for _, name := range []string{"lib.js", p.Journey + ".js"} {
			b, err := journeys.ReadFile("journeys/" + name)
			if err != nil {
				return nil, fmt.Errorf("unknown journey %q (want one of %s)", p.Journey, strings.Join(Journeys(), ", "))
			}
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
				return nil, fmt.Errorf("write journey: %w", err)
			}
		}
		script = filepath.Join(dir, p.Journey+".js")
	}
	abs, err := filepath.Abs(script)
	if err != nil {
		return nil, err
	}
	n := max(p.Generators, 1)
	r := &Run{Generators: n, done: make(chan struct{})}
	var arc []byte
	if p.Host != nil {
		if arc, err = archive(ctx, p, abs); err != nil {
			return nil, err
		}
	} else if r.Collector, err = ListenN(n); err != nil {
		return nil, err
	}
	waits := make([]chan error, n)
	var streams []string
	for i := range n {
		var g proc
		var wait func() error
		var logPath string
		if p.Host != nil {
			var t Generator
			t, wait, logPath, err = r.startTask(ctx, p, arc, i, n)
			if err == nil {
				g, streams = t, append(streams, t.Stream())
			}
		} else {
			var cmd *exec.Cmd
			cmd, logPath, err = r.generator(p, abs, i, n)
			if err == nil {
				g, wait = localProc{cmd}, cmd.Wait
			}
		}
		if err != nil { // the generators started so far go
			for _, started := range r.procs {
				_ = started.Signal(true)
			}
			for _, w := range waits[:i] {
				<-w
			}
			if r.Collector != nil {
				r.Collector.Close()
			}
			return nil, err
		}
		r.mu.Lock()
		r.procs = append(r.procs, g)
		r.mu.Unlock()
		waits[i] = make(chan error, 1)
		go func() {
			err := wait()
			crossed := false
			var coded interface{ ExitCode() int }
			// k6 exits 99 when a threshold fails: not an error of the run, a
			// verdict of the script's own, which the lab reports.
			if errors.As(err, &coded) && coded.ExitCode() == 99 {
				err, crossed = nil, true
				r.mu.Lock()
				r.ThresholdsCrossed = true
				r.mu.Unlock()
			}
			// k6 exits 105 when a signal ended its test: when End sent it, the
			// load ended as planned.
			if errors.As(err, &coded) && coded.ExitCode() == k6Interrupted && r.ended.Load() {
				err = nil
			}
			if err != nil {
				tail, _ := os.ReadFile(logPath)
				err = fmt.Errorf("k6: %w; %s ends:\n%s", err, filepath.Base(logPath), lastLines(string(tail), 8))
			}
			// One generator's end is the test's: abortOnFail stopped it, or
			// it failed. The others would go on loading for the rest of the
			// test, a part of the plan measured as if it were all of it.
			if n > 1 && (err != nil || crossed) && !r.ended.Load() {
				go r.End(othersGrace)
			}
			waits[i] <- err
		}()
	}
	if p.Host != nil {
		r.Collector = Dial(streams)
	}
	c := r.Collector
	go func() {
		var errs []error
		for _, w := range waits {
			errs = append(errs, <-w)
		}
		c.Close()
		r.err = errors.Join(errs...)
		close(r.done)
	}()
	return r, nil
}

// proc is one generator's k6: a process here (localProc) or a host's task
// (a Generator).
type proc interface {
	// Signal interrupts it (k6 stops its scenarios and writes its
	// summary), or kills it.
	Signal(kill bool) error
}

type localProc struct{ cmd *exec.Cmd }

func (l localProc) Signal(kill bool) error {
	if kill {
		return l.cmd.Process.Kill()
	}
	return l.cmd.Process.Signal(syscall.SIGINT)
}

// Segments are the k6 execution segments of n generators: "0:1/2",
// "1/2:1" for two; and the sequence they are cut from, "0,1/2,1".
func Segments(n int) (segments []string, sequence string) {
	frac := func(i int) string {
		switch i {
		case 0:
			return "0"
		case n:
			return "1"
		}
		return fmt.Sprintf("%d/%d", i, n)
	}
	seq := []string{}
	for i := 0; i <= n; i++ {
		seq = append(seq, frac(i))
		if i < n {
			segments = append(segments, frac(i)+":"+frac(i+1))
		}
	}
	return segments, strings.Join(seq, ",")
}

// generator starts k6 generator i of n: with more than one, each runs its
// execution segment of the test (k6's own way to split one test, so that
// together they run it once, with the same rates in sum), and writes its
// summary, log and file outputs apart (k6-summary-2.json, k6-2.log).
func (r *Run) generator(p Plan, script string, i, n int) (*exec.Cmd, string, error) {
	suffix, summary, logPath, logf, err := generatorFiles(p, i)
	if err != nil {
		return nil, "", err
	}
	args := append(append([]string{}, p.Command[1:]...), "k6", "run", "--quiet", "--no-color",
		"--out", OutputName+"="+r.Collector.Addr(), "--summary-export", summary)
	if n > 1 {
		segs, seq := Segments(n)
		args = append(args, "--execution-segment", segs[i], "--execution-segment-sequence", seq)
	}
	for _, o := range p.Outs {
		args = append(args, "--out", apart(absOut(o), suffix))
	}
	args = append(args, script)
	cmd := exec.Command(p.Command[0], args...)
	cmd.Dir = p.Dir
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(os.Environ(), k6Env(p, p.BaseURL, i, n)...)
	err = lifeline.Attach(cmd)
	if err == nil {
		err = cmd.Start()
	}
	logf.Close() // the child has its own
	if err != nil {
		return nil, "", fmt.Errorf("start k6: %w", err)
	}
	r.mu.Lock()
	r.SummaryPaths = append(r.SummaryPaths, summary)
	r.mu.Unlock()
	return cmd, logPath, nil
}

// generatorFiles are generator i's own files in the run folder: the suffix
// that sets them apart ("" for the first, "-2"...), its summary (absolute:
// k6 runs in the run folder) and its log, created.
func generatorFiles(p Plan, i int) (suffix, summary, logPath string, logf *os.File, err error) {
	if i > 0 {
		suffix = fmt.Sprintf("-%d", i+1)
	}
	if summary, err = filepath.Abs(filepath.Join(p.Dir, "k6-summary"+suffix+".json")); err != nil {
		return "", "", "", nil, err
	}
	logPath = filepath.Join(p.Dir, "k6"+suffix+".log")
	if logf, err = os.Create(logPath); err != nil {
		return "", "", "", nil, fmt.Errorf("create k6 log: %w", err)
	}
	return suffix, summary, logPath, logf, nil
}

// k6Env is what generator i of n is given beyond the environment it has:
// the lab's variables, then the plan's, in a stable order.
func k6Env(p Plan, baseURL string, i, n int) []string {
	env := []string{"K6_NO_USAGE_REPORT=true", "BASE_URL=" + baseURL,
		fmt.Sprintf("LAB_GENERATOR=%d", i+1), fmt.Sprintf("LAB_GENERATORS=%d", n)}
	for _, k := range slices.Sorted(maps.Keys(p.Env)) {
		env = append(env, k+"="+p.Env[k])
	}
	return env
}

// apart gives generator suffix a file output of its own: json=run.json is
// run-2.json for the second.
func apart(out, suffix string) string {
	kind, path, ok := strings.Cut(out, "=")
	if suffix == "" || !ok || (kind != "json" && kind != "csv") {
		return out
	}
	ext := filepath.Ext(path)
	return kind + "=" + strings.TrimSuffix(path, ext) + suffix + ext
}

// absOut makes the file of a file output (json=PATH, csv=PATH) absolute.
func absOut(out string) string {
	kind, path, ok := strings.Cut(out, "=")
	if !ok || (kind != "json" && kind != "csv") || filepath.IsAbs(path) {
		return out
	}
	if a, err := filepath.Abs(path); err == nil {
		return kind + "=" + a
	}
	return out
}

// WaitStarted waits until k6 has started its test, or failed to.
func (r *Run) WaitStarted(ctx context.Context, timeout time.Duration) error {
	select {
	case <-r.Collector.Started():
		return nil
	case <-r.done:
		if r.err != nil {
			return r.err
		}
		return errors.New("k6 ended before its test started")
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(timeout):
		return fmt.Errorf("k6 did not start its test within %s", timeout)
	}
}

// Done is closed when k6 has exited.
func (r *Run) Done() <-chan struct{} { return r.done }

// Err is how k6 ended; valid after Done.
func (r *Run) Err() error { return r.err }

// k6Interrupted is k6's exit code after a signal (exitcodes.ExternalAbort).
const k6Interrupted = 105

// othersGrace is how long the other generators have to write their
// summaries once one has ended the test.
const othersGrace = 10 * time.Second

// End ends the test now as the plan allows (a ramp with until: knee, once
// its knee is found): k6 stops its scenarios, writes its summary and exits,
// and Err is nil for it.
func (r *Run) End(grace time.Duration) {
	r.ended.Store(true)
	r.Stop(grace)
}

// Stop asks k6 to end now (SIGINT: it stops its scenarios and writes its
// summary), then kills it if it has not ended within grace.
func (r *Run) Stop(grace time.Duration) {
	select {
	case <-r.done:
		return
	default:
	}
	r.mu.Lock()
	procs := append([]proc{}, r.procs...)
	r.mu.Unlock()
	for _, g := range procs {
		_ = g.Signal(false)
	}
	select {
	case <-r.done:
	case <-time.After(grace):
		for _, g := range procs {
			_ = g.Signal(true)
		}
		<-r.done
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "  " + strings.Join(lines, "\n  ")
}
