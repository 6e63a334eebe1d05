package bench

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"lab/faults"
	"lab/lab"
	"lab/lab/experiment"
	"lab/lab/results"
)

// rss sums the memory of the lab process and of every process the shop
// runs, once it has been idle for a second. Every one of them is the same
// lab binary, whose pages the kernel keeps once for all: the figure is the
// sum of their proportional set sizes (Pss: a page shared by n processes
// counts 1/n in each), what the machine really gives them. The sum of their
// RSS, counting the binary once per process, is in the detail.
func (b *bencher) rss(ctx context.Context, shop lab.Shop) ([]float64, string, error) {
	ps, ok := shop.(lab.Processes)
	if !ok {
		return nil, "", fmt.Errorf("the %s runtime does not name its processes", b.res.Runtime)
	}
	if err := sleep(ctx, time.Second); err != nil {
		return nil, "", err
	}
	var detail string
	samples, _, err := b.repeat(func() (float64, error) {
		pids, err := ps.PIDs(ctx)
		if err != nil {
			return 0, err
		}
		pids["lab"] = os.Getpid()
		var pss, rss, largestKB int
		var largest string
		for name, pid := range pids {
			m, err := memoryKB(pid)
			if err != nil {
				return 0, err
			}
			pss, rss = pss+m["Pss"], rss+m["Rss"]
			if m["Pss"] > largestKB {
				largest, largestKB = name, m["Pss"]
			}
		}
		detail = fmt.Sprintf("Pss of %d processes, the lab's and the shop's (the largest %s, %.0f MB); their RSS adds up to %.0f MB",
			len(pids), largest, float64(largestKB)/1024, float64(rss)/1024)
		return float64(pss) / 1024, sleep(ctx, 200*time.Millisecond)
	}, "")
	return samples, detail, err
}

// memoryKB reads the Rss and Pss lines of pid's smaps_rollup, in kB.
func memoryKB(pid int) (map[string]int, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return nil, fmt.Errorf("read the memory of process %d: %w", pid, err)
	}
	out := map[string]int{}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || (k != "Rss" && k != "Pss") {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
		if err != nil {
			return nil, fmt.Errorf("process %d: %s: %w", pid, line, err)
		}
		out[k] = n
	}
	if _, ok := out["Pss"]; !ok {
		return nil, fmt.Errorf("process %d: no Pss in smaps_rollup", pid)
	}
	return out, nil
}

// gateway returns the gateway instance's own URL and the shop's URL for it,
// through its proxy; the shop must run one gateway.
func gateway(shop lab.Shop) (direct, proxied string, err error) {
	var gws []lab.Instance
	for _, in := range shop.Instances() {
		if in.Service == "gateway" {
			gws = append(gws, in)
		}
	}
	if len(gws) != 1 {
		return "", "", fmt.Errorf("want a shop with one gateway, have %d", len(gws))
	}
	return "http://" + gws[0].Addr, shop.GatewayURL(), nil
}

// get times one GET of url, reading the whole answer.
func get(c *http.Client, url string) (time.Duration, error) {
	began := time.Now()
	resp, err := c.Get(url)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return time.Since(began), err
}

// medianOf times n sequential GETs of url and returns their median.
func medianOf(c *http.Client, url string, n int) (time.Duration, error) {
	var xs []float64
	for range n {
		d, err := get(c, url)
		if err != nil {
			return 0, err
		}
		xs = append(xs, float64(d))
	}
	return time.Duration(results.Median(xs)), nil
}

func keepAlive() *http.Client {
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
}

// hopRequests is how many requests each side of the hop makes in a run.
const hopRequests = 1000

// hop compares the gateway's /healthz called directly with the same call
// through the load's proxy in front of it, one request on each in turn.
func (b *bencher) hop(ctx context.Context, shop lab.Shop) ([]float64, string, error) {
	direct, proxied, err := gateway(shop)
	if err != nil {
		return nil, "", err
	}
	dc, pc := keepAlive(), keepAlive()
	defer dc.CloseIdleConnections()
	defer pc.CloseIdleConnections()
	for range 100 { // warm both connections and both servers
		if _, err := get(dc, direct+"/healthz"); err != nil {
			return nil, "", err
		}
		if _, err := get(pc, proxied+"/healthz"); err != nil {
			return nil, "", err
		}
	}
	var dp50, pp50 []float64
	samples, _, err := b.repeat(func() (float64, error) {
		var ds, ps []float64
		for range hopRequests {
			if ctx.Err() != nil {
				return 0, ctx.Err()
			}
			d, err := get(dc, direct+"/healthz")
			if err != nil {
				return 0, err
			}
			p, err := get(pc, proxied+"/healthz")
			if err != nil {
				return 0, err
			}
			ds, ps = append(ds, float64(d.Microseconds())), append(ps, float64(p.Microseconds()))
		}
		dp50, pp50 = append(dp50, results.Median(ds)), append(pp50, results.Median(ps))
		return results.Median(ps) - results.Median(ds), nil
	}, "")
	return samples, fmt.Sprintf("p50 %g µs direct, %g µs through the proxy; %d GET /healthz on each per run, in turn",
		results.Median(dp50), results.Median(pp50), hopRequests), err
}

// latencyRequests is how many requests each side makes in a run.
const latencyRequests = 20

// latencyFault puts a 100 ms latency fault on the load's edge into the
// gateway and compares the median answer with the median without it.
func (b *bencher) latencyFault(ctx context.Context, shop lab.Shop) ([]float64, string, error) {
	_, url, err := gateway(shop)
	if err != nil {
		return nil, "", err
	}
	url += "/healthz"
	env, closeEnv, err := experiment.FaultEnv(ctx, shop)
	if err != nil {
		return nil, "", err
	}
	defer closeEnv()
	want := 100 * time.Millisecond
	spec := faults.Spec{Name: "bench-latency", Kind: "latency", Target: "gateway", Params: &faults.LatencyParams{Latency: lab.Duration(want)}}
	kind, _ := faults.Lookup(spec.Kind)
	targets, err := faults.Resolve(spec.Target, kind.Layer(), benchShape(false))
	if err != nil {
		return nil, "", err
	}
	c := keepAlive()
	defer c.CloseIdleConnections()
	var added []float64
	samples, _, err := b.repeat(func() (float64, error) {
		base, err := medianOf(c, url, latencyRequests)
		if err != nil {
			return 0, err
		}
		undo, err := kind.Apply(ctx, env, spec, targets)
		if err != nil {
			return 0, err
		}
		slow, err := medianOf(c, url, latencyRequests)
		if uerr := undo(context.WithoutCancel(ctx)); err == nil {
			err = uerr
		}
		d := slow - base
		added = append(added, float64(d.Microseconds())/1000)
		return math.Abs(float64(d-want)) / float64(want) * 100, err
	}, "")
	return samples, fmt.Sprintf("the fault added %.2f ms (median of runs); medians of %d GET /healthz with and without it per run",
		results.Median(added), latencyRequests), err
}

// faultsPerRun is how many faults a run of faultApply plays.
const faultsPerRun = 100

// faultApply plays faults 20 ms apart on the shop's edges with the run's
// own timeline and reads how late each landed (its proxy changed).
func (b *bencher) faultApply(ctx context.Context, shop lab.Shop) ([]float64, string, error) {
	env, closeEnv, err := experiment.FaultEnv(ctx, shop)
	if err != nil {
		return nil, "", err
	}
	defer closeEnv()
	edges := faults.Edges()
	var all []float64
	samples, _, err := b.repeat(func() (float64, error) {
		var specs []faults.Spec
		for i := range faultsPerRun {
			specs = append(specs, faults.Spec{Name: fmt.Sprintf("bench-%d", i), Kind: "latency",
				Target: edges[i%len(edges)], Params: &faults.LatencyParams{Latency: lab.Duration(time.Millisecond)},
				At: lab.Duration(time.Duration(i) * 20 * time.Millisecond), For: lab.Duration(10 * time.Millisecond)})
		}
		recs := experiment.PlayFaults(ctx, env, benchShape(false), specs, 200*time.Millisecond)
		var late []float64
		for _, r := range recs {
			if r.Error != "" {
				return 0, fmt.Errorf("fault %s on %s: %s", r.Name, r.Target, r.Error)
			}
			late = append(late, r.LateMS)
		}
		all = append(all, late...)
		return quantile(late, 0.99), nil
	}, "")
	sort.Float64s(all)
	detail := fmt.Sprintf("%d latency faults per run, 20 ms apart, on %d edges; median %.2f ms, worst %.2f ms late",
		faultsPerRun, len(edges), results.Median(all), quantile(all, 1))
	return samples, detail, err
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// settle waits, up to settleFor, until the shop's processes have used under
// a fifth of a core over half a second (at rest, with nothing to do, they
// use about a tenth between them: heartbeats, outbox and consumer polls, the
// Go runtime's own timers, here): a checkout ramp leaves payments,
// notifications and order updates behind it, and the next load measured
// while they catch up was measured against a shop that was not at rest
// (knees of 361, 0, 85, 116 orders/s in one bench, each run worse).
func (b *bencher) settle(ctx context.Context, shop lab.Shop) error {
	ps, ok := shop.(lab.Processes)
	if !ok {
		return nil
	}
	pids, err := ps.PIDs(ctx)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(settleFor)
	last := cpuTicks(pids)
	for time.Now().Before(deadline) {
		if err := sleep(ctx, 500*time.Millisecond); err != nil {
			return err
		}
		now := cpuTicks(pids)
		if now-last <= clockTicks/10 { // 100 ms of CPU in 500 ms
			return nil
		}
		last = now
	}
	return nil // still busy: measure anyway, as a user's run would
}

// settleFor bounds how long settle waits.
const settleFor = 30 * time.Second

// clockTicks is the unit of /proc/PID/stat's CPU times (USER_HZ, 100 on
// Linux whatever the kernel's HZ).
const clockTicks = 100

// cpuTicks sums the user and system CPU time of pids, in clock ticks.
func cpuTicks(pids map[string]int) int {
	total := 0
	for _, pid := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue // a process that ended uses no CPU
		}
		// The command (field 2) may hold spaces; the fields after its ")" do not.
		s := string(b)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(fields) > 12 {
			u, _ := strconv.Atoi(fields[11])
			st, _ := strconv.Atoi(fields[12])
			total += u + st
		}
	}
	return total
}
