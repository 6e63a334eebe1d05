// Package soak is `lab soak`: the shop under steady mixed load for a long
// time, its faults toggled every few seconds through the live fault file and
// the control API, to find what grows (memory, goroutines, descriptors) and
// what slows (the Toxiproxy API) before a class does.
//
// A soak, step by step:
//
//  1. the caller brings the shop up with a watched live fault file and the
//     control API (as `lab up --faults` does) and passes both in Params;
//  2. k6 drives the shopper journey in segments of at most a minute each, so
//     that no load generator's own per-second history grows with the soak;
//  3. every Toggle, one fault goes on or off: by a save of the file and by a
//     call of the control API, in turn;
//  4. every second the Toxiproxy API is asked for its proxies and the answer
//     time kept; every Sample, the lab's own and every instance's memory,
//     goroutines and open descriptors are read (the instances' from their
//     /metrics, so any runtime will do);
//  5. at the end, Judge says whether any series climbed steadily and whether
//     the API's p99 stayed under its bound.
package soak

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"lab/internal/promtext"
	"lab/lab"
	"lab/load"
)

// Params are what a soak needs.
type Params struct {
	Shop lab.Shop
	// Command runs the lab binary (for `lab k6`).
	Command []string
	// Dir receives each load segment's files.
	Dir string
	// Duration is how long the soak lasts; Sample how often the usage is
	// read; Toggle how often a fault goes on or off.
	Duration, Sample, Toggle time.Duration
	// Rate is the load's iterations per second.
	Rate int
	// FaultFile is the live fault file the shop watches; the soak rewrites it.
	FaultFile string
	// ControlURL and ControlToken reach the control API.
	ControlURL, ControlToken string
	// Progress receives a line per sample; nil for none.
	Progress io.Writer
}

// Sample is one reading of every process's usage.
type Sample struct {
	At time.Duration `json:"at"`
	// Usage per process: "lab" and every instance by name.
	Usage map[string]Usage `json:"usage"`
	// APIP99Ms is the Toxiproxy API's p99 answer time since the last sample.
	APIP99Ms float64 `json:"api_p99_ms"`
	// Silent names the instances whose /metrics did not answer.
	Silent []string `json:"silent,omitempty"`
}

// Usage is what one process holds.
type Usage struct {
	MemoryMB   float64 `json:"memory_mb"` // the lab: live Go heap; instances: resident memory
	Goroutines float64 `json:"goroutines"`
	FDs        float64 `json:"fds"`
}

// Run is one soak's record.
type Run struct {
	Samples []Sample `json:"samples"`
	// APIMs holds every answer time of the Toxiproxy API, in milliseconds.
	APIMs []float64 `json:"-"`
	// Toggles counts the fault changes made through the file and the API;
	// ToggleErrors those that failed.
	Toggles      map[string]int `json:"toggles"`
	ToggleErrors []string       `json:"toggle_errors,omitempty"`
	// Requests and Failed count the load's requests.
	Requests int64 `json:"requests"`
	Failed   int64 `json:"failed"`
	// Segments is how many k6 runs the load took.
	Segments int `json:"segments"`
	// Exits are the instances that ended without the lab asking, with how.
	Exits []string `json:"exits,omitempty"`
}

// segment is the longest one k6 run of the soak lasts.
const segment = time.Minute

// Soak runs the soak; see the package doc. A cancelled ctx ends it early
// with what was recorded so far and ctx's error.
func Soak(ctx context.Context, p Params) (*Run, error) {
	r := &Run{Toggles: map[string]int{}}
	ctx, cancel := context.WithTimeout(ctx, p.Duration)
	defer cancel()
	began := time.Now()
	var mu sync.Mutex // guards r's slices and counters
	var wg sync.WaitGroup
	hc := &http.Client{Timeout: 10 * time.Second}

	wg.Add(3)
	go func() { // an instance that ends unasked fails the soak
		defer wg.Done()
		for {
			select {
			case <-ctx.Done():
				return
			case e, ok := <-p.Shop.Exits():
				if !ok {
					return
				}
				mu.Lock()
				r.Exits = append(r.Exits, fmt.Sprintf("%s at %s: %v; last log line: %s", e.Instance,
					e.At.Sub(began).Round(time.Second), e.Err, lastOf(e.Last)))
				mu.Unlock()
				if p.Progress != nil {
					fmt.Fprintf(p.Progress, "%s exited unasked: %v\n", e.Instance, e.Err)
				}
			}
		}
	}()
	go func() { // 3. toggle faults
		defer wg.Done()
		toggle(ctx, p, hc, &mu, r)
	}()
	go func() { // 4. time the Toxiproxy API every second
		defer wg.Done()
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				start := time.Now()
				resp, err := hc.Get(p.Shop.ToxiproxyURL() + "/proxies")
				took := time.Since(start)
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				mu.Lock()
				r.APIMs = append(r.APIMs, float64(took.Microseconds())/1000)
				mu.Unlock()
			}
		}
	}()
	wg.Add(1)
	go func() { // 4. sample usage
		defer wg.Done()
		tick := time.NewTicker(p.Sample)
		defer tick.Stop()
		from := 0
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				s := Sample{At: time.Since(began).Round(time.Second), Usage: usage(ctx, hc, p.Shop)}
				for _, in := range p.Shop.Instances() {
					if _, ok := s.Usage[in.Name]; !ok {
						s.Silent = append(s.Silent, in.Name)
					}
				}
				if ctx.Err() != nil {
					return // the soak ended while the sample was read: it is not whole
				}
				mu.Lock()
				s.APIP99Ms = quantile(r.APIMs[from:], 0.99)
				from = len(r.APIMs)
				r.Samples = append(r.Samples, s)
				mu.Unlock()
				if p.Progress != nil {
					l := s.Usage["lab"]
					fmt.Fprintf(p.Progress, "[%s] lab heap %.1f MB, %0.f goroutines, %0.f fds; Toxiproxy API p99 %.1f ms%s\n",
						s.At, l.MemoryMB, l.Goroutines, l.FDs, s.APIP99Ms, silent(s.Silent))
				}
			}
		}
	}()

	err := drive(ctx, p, r, &mu) // 2. the load, in the foreground
	cancel()
	wg.Wait()
	if err == nil && time.Since(began) < p.Duration-time.Second {
		err = context.Cause(ctx)
	}
	return r, err
}

// drive runs the load in segments until ctx ends.
func drive(ctx context.Context, p Params, r *Run, mu *sync.Mutex) error {
	for ctx.Err() == nil {
		d := segment
		if dl, ok := ctx.Deadline(); ok {
			d = min(d, time.Until(dl).Truncate(time.Second))
		}
		if d < time.Second { // too short for k6: the samples go on to the end
			<-ctx.Done()
			return nil
		}
		dir := filepath.Join(p.Dir, fmt.Sprintf("load-%03d", r.Segments))
		run, err := load.Start(ctx, load.Plan{Command: p.Command, Journey: "shopper", BaseURL: p.Shop.GatewayURL(), Dir: dir,
			Env: map[string]string{"LAB_SEED": fmt.Sprint(r.Segments + 1), "LAB_WARMUP": "0s", "LAB_DURATION": d.String(),
				"LAB_RATE": fmt.Sprint(p.Rate), "LAB_VUS": fmt.Sprint(max(20, p.Rate/2)), "LAB_EXECUTOR": "constant-arrival-rate",
				"LAB_THINK": "0"}})
		if err != nil {
			return fmt.Errorf("start the load: %w", err)
		}
		select {
		case <-ctx.Done():
			run.Stop(5 * time.Second)
		case <-run.Done():
		}
		<-run.Done()
		a := run.Collector.Sum("", -1<<30, 1<<30)
		mu.Lock()
		r.Segments++
		r.Requests += a.Requests
		r.Failed += a.Requests - int64(float64(a.Requests)*a.SuccessRate()+0.5)
		mu.Unlock()
		if err := run.Err(); err != nil && ctx.Err() == nil {
			return fmt.Errorf("load segment %d: %w", r.Segments, err)
		}
		os.RemoveAll(dir) // a soak of hours would fill the disk with k6 logs
	}
	return nil
}

// The two faults a soak toggles: one through the file, one through the API.
const (
	fileFault = "name: soak-slow-catalog\n    target: catalog\n    kind: latency\n    latency: 20ms"
	apiFault  = "{name: soak-flaky-inventory, target: gateway->inventory, kind: latency, latency: 10ms, jitter: 5ms}"
)

// toggle turns a fault on or off every p.Toggle, by the file and by the API
// in turn, until ctx ends; the faults are off when it returns.
func toggle(ctx context.Context, p Params, hc *http.Client, mu *sync.Mutex, r *Run) {
	tick := time.NewTicker(p.Toggle)
	defer tick.Stop()
	fileOn, apiOn := false, false
	fail := func(err error) {
		mu.Lock()
		r.ToggleErrors = append(r.ToggleErrors, time.Now().Format(time.TimeOnly)+" "+err.Error())
		mu.Unlock()
	}
	setFile := func(on bool) error {
		body := "faults: []\n"
		if on {
			body = "faults:\n  - " + fileFault + "\n"
		}
		tmp := p.FaultFile + ".tmp"
		if err := os.WriteFile(tmp, []byte(body), 0o644); err != nil {
			return err
		}
		return os.Rename(tmp, p.FaultFile) // as editors save
	}
	callAPI := func(ctx context.Context, on bool) error {
		method, url, body := http.MethodDelete, p.ControlURL+"/faults/soak-flaky-inventory", ""
		if on {
			method, url, body = http.MethodPost, p.ControlURL+"/faults", apiFault
		}
		req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+p.ControlToken)
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			return fmt.Errorf("%s %s: %s %s", method, url, resp.Status, bytes.TrimSpace(msg))
		}
		return nil
	}
	defer func() {
		cctx, ccancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer ccancel()
		if apiOn {
			_ = callAPI(cctx, false)
		}
		_ = setFile(false)
	}()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		var err error
		how := "file"
		if n%2 == 0 {
			fileOn = !fileOn
			err = setFile(fileOn)
		} else {
			how = "api"
			apiOn = !apiOn
			if err = callAPI(ctx, apiOn); err != nil {
				apiOn = !apiOn
			}
		}
		if err != nil && ctx.Err() == nil {
			fail(err)
			continue
		}
		mu.Lock()
		r.Toggles[how]++
		mu.Unlock()
	}
}

func silent(names []string) string {
	if len(names) == 0 {
		return ""
	}
	return "; not answering: " + strings.Join(names, ", ")
}

func lastOf(lines []string) string {
	if len(lines) == 0 {
		return "(none)"
	}
	return lines[len(lines)-1]
}

// usage reads the lab's own usage and every instance's from its /metrics.
func usage(ctx context.Context, hc *http.Client, shop lab.Shop) map[string]Usage {
	out := map[string]Usage{"lab": self()}
	for _, in := range shop.Instances() {
		var u Usage
		n := 0
		err := promtext.Get(ctx, hc, "http://"+in.Addr+"/metrics", "", func(name string, _ map[string]string, v float64) {
			n++
			switch name {
			case "process_resident_memory_bytes":
				u.MemoryMB = v / (1 << 20)
			case "go_goroutines":
				u.Goroutines = v
			case "process_open_fds":
				u.FDs = v
			}
		})
		if err == nil && n > 0 { // an answer with no sample is no answer
			out[in.Name] = u
		}
	}
	return out
}

// self is the lab process's own usage: its live Go heap, just after a
// collection (what a leak in the harness or its embedded Toxiproxy grows;
// the heap in use between collections swings with the GC's pacing),
// goroutines, and open descriptors where /proc says.
func self() Usage {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	u := Usage{MemoryMB: float64(ms.HeapAlloc) / (1 << 20), Goroutines: float64(runtime.NumGoroutine())}
	if fds, err := os.ReadDir("/proc/self/fd"); err == nil {
		u.FDs = float64(len(fds))
	}
	return u
}

// quantile returns the q-quantile of xs (nearest rank), 0 for none.
func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	i := int(q*float64(len(s))+0.999999) - 1
	return s[min(max(i, 0), len(s)-1)]
}
