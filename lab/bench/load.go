package bench

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"lab/lab"
	"lab/lab/results"
	"lab/load"
)

//go:embed load.js
var script []byte

// MaxP99 is the latency under which a second of load counts as served.
const MaxP99 = 50 * time.Millisecond

// Load parameters.
const (
	rampFor     = 10 * time.Second // an arrival-rate ramp, from its start to its peak rate
	closedFor   = 4 * time.Second  // a closed loop (k6 VUs, wrk connections)
	connections = 32               // VUs of k6 and connections of wrk in a closed loop
)

// k6 runs the bench script against shop's gateway with vars, once the shop
// is at rest, and returns the stream of its samples once it has ended.
func (b *bencher) k6(ctx context.Context, shop lab.Shop, vars map[string]string, bound time.Duration) (*load.Collector, error) {
	dir, err := b.dir("k6-" + vars["BENCH_JOURNEY"])
	if err != nil {
		return nil, err
	}
	if err := b.settle(ctx, shop); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "load.js")
	if err := os.WriteFile(path, script, 0o644); err != nil {
		return nil, err
	}
	run, err := load.Start(ctx, load.Plan{Command: b.Command, Script: path, BaseURL: shop.GatewayURL(), Env: vars, Dir: dir})
	if err != nil {
		return nil, err
	}
	t := time.NewTimer(bound + 30*time.Second)
	defer t.Stop()
	select {
	case <-run.Done():
	case <-ctx.Done():
		run.Stop(2 * time.Second)
		return nil, ctx.Err()
	case <-t.C:
		run.Stop(2 * time.Second)
		return nil, fmt.Errorf("k6 ran past %s", bound+30*time.Second)
	}
	if err := run.Err(); err != nil {
		return nil, err
	}
	<-run.Collector.Done()
	if err := run.Collector.Err(); err != nil {
		return nil, err
	}
	return run.Collector, nil
}

// Second is one second of a ramp: its requests, their p99 and failures.
type Second struct {
	Requests int64
	P99      time.Duration
	Failed   int64
}

// Knee returns the most requests of one second that was served (its p99
// under maxP99, under 1% failed), or 0 and false if none was. The first and
// last seconds are partial and left out.
func Knee(secs []Second, maxP99 time.Duration) (Second, bool) {
	var best Second
	found := false
	for i := 1; i < len(secs)-1; i++ {
		s := secs[i]
		if s.Requests == 0 || s.P99 >= maxP99 || float64(s.Failed) >= 0.01*float64(s.Requests) {
			continue
		}
		if !found || s.Requests > best.Requests {
			best, found = s, true
		}
	}
	return best, found
}

// seconds reads endpoint's series second by second.
func seconds(c *load.Collector, endpoint string, n int) []Second {
	out := make([]Second, n)
	for i := range n {
		c.At(endpoint, i, func(a *results.Agg) {
			out[i] = Second{Requests: a.Requests, Failed: a.Failed,
				P99: time.Duration(a.Quantile(0.99) * float64(time.Millisecond))}
		})
	}
	return out
}

// knee ramps journey's arrival rate from start to peak per second and
// keeps the knee of each run: the highest rate still served.
//
// vus bounds k6's VUs: enough for the peak at a few milliseconds an answer,
// and no more, for k6 with 300 idle VUs measured a p99 of 152 ms where it
// measured 33 ms with 40, at the same 200 checkouts a second (its own GC).
func (b *bencher) knee(ctx context.Context, shop lab.Shop, journey string, start, peak, vus int) ([]float64, string, error) {
	var p99s []float64
	var unserved string
	samples, _, err := b.repeat(func() (float64, error) {
		c, err := b.k6(ctx, shop, map[string]string{"BENCH_JOURNEY": journey, "BENCH_EXECUTOR": "ramp",
			"BENCH_START": strconv.Itoa(start), "BENCH_PEAK": strconv.Itoa(peak),
			"BENCH_DURATION": rampFor.String(), "BENCH_VUS": strconv.Itoa(vus)}, rampFor)
		if err != nil {
			return 0, err
		}
		secs := seconds(c, journey, int(rampFor/time.Second)+2)
		k, ok := Knee(secs, MaxP99)
		if !ok { // the knee is below the ramp's start: this run counts 0
			var seen []string
			for _, s := range secs {
				seen = append(seen, fmt.Sprintf("%d/%s", s.Requests, s.P99.Round(time.Millisecond)))
			}
			unserved = fmt.Sprintf("; a run served no second (requests/p99 each second: %s)", strings.Join(seen, " "))
			return 0, nil
		}
		p99s = append(p99s, float64(k.P99.Microseconds())/1000)
		return float64(k.Requests), nil
	}, "")
	return samples, fmt.Sprintf("k6 arrival rate ramped %d→%d/s over %s, at most %d VUs; the busiest second with p99 < %s and < 1%% failed (its p99 %.1f ms)",
		start, peak, rampFor, vus, MaxP99, results.Median(p99s)) + unserved, err
}

// closedLoop runs k6 with connections VUs looping on journey for closedFor
// and returns its rate, requests per second.
func (b *bencher) closedLoop(ctx context.Context, shop lab.Shop, journey string) (float64, error) {
	c, err := b.k6(ctx, shop, map[string]string{"BENCH_JOURNEY": journey, "BENCH_EXECUTOR": "vus",
		"BENCH_VUS": strconv.Itoa(connections), "BENCH_DURATION": closedFor.String()}, closedFor)
	if err != nil {
		return 0, err
	}
	a := c.Sum(journey, 0, 1<<30)
	if a.Requests == 0 {
		return 0, errors.New("k6 made no request")
	}
	if a.SuccessRate() < 0.99 {
		return 0, fmt.Errorf("%.1f%% of k6's requests failed (statuses %v; \"0\" is no answer)", 100*(1-a.SuccessRate()), a.Status)
	}
	return float64(a.Requests) / closedFor.Seconds(), nil
}

// wrk runs wrk with the same connections against the same page for
// closedFor, once the shop is at rest, and returns its rate.
func (b *bencher) wrk(ctx context.Context, shop lab.Shop) (float64, error) {
	return b.wrkOn(ctx, shop, browsePage(shop.GatewayURL()))
}

// wrkOn is wrk against url.
func (b *bencher) wrkOn(ctx context.Context, shop lab.Shop, url string) (float64, error) {
	if err := b.settle(ctx, shop); err != nil {
		return 0, err
	}
	out, err := exec.CommandContext(ctx, "wrk", "-t2", "-c"+strconv.Itoa(connections),
		"-d"+strconv.Itoa(int(closedFor.Seconds()))+"s", url).CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("wrk: %w: %s", err, out)
	}
	return parseWrk(string(out))
}

var wrkRateRe = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
var wrkErrRe = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)

// parseWrk reads the rate out of wrk's report; a non-2xx answer is an error.
func parseWrk(out string) (float64, error) {
	if m := wrkErrRe.FindStringSubmatch(out); m != nil {
		return 0, fmt.Errorf("wrk: %s answers were not 2xx", m[1])
	}
	m := wrkRateRe.FindStringSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("wrk printed no Requests/sec:\n%s", out)
	}
	return strconv.ParseFloat(m[1], 64)
}

// browsePage is the page both k6's browse journey and wrk ask for.
func browsePage(base string) string { return base + "/api/products?page=1&size=20" }

// k6AgainstWrk alternates k6 and wrk, the same connections on the same
// URL, and keeps k6's rate as a share of wrk's. The URL is the gateway's
// /healthz through its proxy: it calls no service, so however fast the
// machine the shop answers every request and what is compared is the two
// generators (on the catalog page, a fast machine's 32 connections had
// the shop refusing half of k6's requests with 503).
func (b *bencher) k6AgainstWrk(ctx context.Context, shop lab.Shop) ([]float64, string, error) {
	if _, err := exec.LookPath("wrk"); err != nil {
		return nil, "", errors.New("wrk is not installed (Debian: apt-get install wrk)")
	}
	var k6s, wrks []float64
	samples, _, err := b.repeat(func() (float64, error) {
		w, err := b.wrkOn(ctx, shop, shop.GatewayURL()+"/healthz")
		if err != nil {
			return 0, err
		}
		k, err := b.closedLoop(ctx, shop, "health")
		if err != nil {
			return 0, err
		}
		k6s, wrks = append(k6s, k), append(wrks, w)
		return 100 * k / w, nil
	}, "")
	return samples, fmt.Sprintf("k6 %.0f req/s, wrk %.0f req/s; %d connections each for %s on the gateway's /healthz through its proxy, in turn",
		results.Median(k6s), results.Median(wrks), connections, closedFor), err
}

// proxiedRatio alternates the same closed loop on the shop with proxies
// and on the one without, and keeps the first's rate as a share of the
// second's. Where wrk is installed it does the same with wrk, whose own
// cost is smaller, and says so in the detail.
func (b *bencher) proxiedRatio(ctx context.Context, shop, direct lab.Shop) ([]float64, string, error) {
	_, hasWrk := exec.LookPath("wrk")
	var ps, ds, wratios []float64
	samples, _, err := b.repeat(func() (float64, error) {
		p, err := b.closedLoop(ctx, shop, "browse")
		if err != nil {
			return 0, err
		}
		d, err := b.closedLoop(ctx, direct, "browse")
		if err != nil {
			return 0, err
		}
		if hasWrk == nil {
			wp, err := b.wrk(ctx, shop)
			if err != nil {
				return 0, err
			}
			wd, err := b.wrk(ctx, direct)
			if err != nil {
				return 0, err
			}
			wratios = append(wratios, 100*wp/wd)
		}
		ps, ds = append(ps, p), append(ds, d)
		return 100 * p / d, nil
	}, "")
	detail := fmt.Sprintf("k6 browsing, %d VUs for %s: %.0f req/s with proxies, %.0f without", connections, closedFor, results.Median(ps), results.Median(ds))
	if len(wratios) > 0 {
		detail += fmt.Sprintf("; wrk: %.0f%%", results.Median(wratios))
	}
	return samples, detail, err
}
