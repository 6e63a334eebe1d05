package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"lab/lab"
	"lab/services/contract"
)

// Run measures what opts ask for, each figure opts.Runs times, and returns
// the result. An error of one measurement is kept in its Metric; Run itself
// fails only when ctx ends.
func Run(ctx context.Context, opts Options) (*Result, error) {
	if opts.Runs < 1 {
		opts.Runs = 1
	}
	b := &bencher{Options: opts, res: &Result{Runtime: lab.Describe(opts.Runtime), Machine: ThisMachine(),
		Runs: opts.Runs, Began: time.Now()}}
	defer b.closeShops()
	if opts.Warm != nil {
		if err := opts.Warm(ctx); err != nil {
			return b.res, fmt.Errorf("ready the %s runtime: %w", b.res.Runtime, err)
		}
	}
	for _, key := range Keys {
		if !b.wants(key) || (key == "image_build_s" && opts.ImageBuild == nil) || (key == "child_init_ms" && opts.Children == "") {
			continue
		}
		m := target(key, b.res.Runtime)
		samples, detail, err := b.measure(ctx, key)
		if ctx.Err() != nil {
			return b.res, ctx.Err()
		}
		m.Detail = detail
		m.finish(samples, err)
		b.res.Metrics = append(b.res.Metrics, m)
		b.report(m)
	}
	b.res.Seconds = round(time.Since(b.res.Began).Seconds())
	return b.res, nil
}

type bencher struct {
	Options
	res    *Result
	shop   lab.Shop // the shop the load measurements share, started once
	direct lab.Shop // the same shop without proxies
	n      int      // folders made so far
}

func (b *bencher) wants(key string) bool { return len(b.Only) == 0 || slices.Contains(b.Only, key) }

func (b *bencher) report(m Metric) {
	if b.Progress == nil {
		return
	}
	if m.Error != "" {
		fmt.Fprintf(b.Progress, "bench: %-26s failed: %s\n", m.Key, m.Error)
		return
	}
	fmt.Fprintf(b.Progress, "bench: %-26s %g %s  (runs %s; %s)\n", m.Key, m.Value, m.Unit, spread(m.Samples), m.Detail)
}

// spread writes the samples of a metric, lowest and highest, as "4.1-4.9".
func spread(xs []float64) string {
	if len(xs) == 0 {
		return "none"
	}
	lo, hi := slices.Min(xs), slices.Max(xs)
	return fmt.Sprintf("%.4g-%.4g", lo, hi)
}

func (b *bencher) measure(ctx context.Context, key string) ([]float64, string, error) {
	switch key {
	case "child_init_ms":
		return b.childInit(ctx)
	case "image_build_s":
		return b.repeat(func() (float64, error) {
			d, err := b.ImageBuild(ctx)
			return d.Seconds(), err
		}, "no build cache, fresh tag, removed after")
	case "startup_s":
		return b.startups(ctx, lab.Shape{Seed: 1})
	case "instances50_startup_s":
		return b.startups(ctx, lab.Shape{Seed: 1, Replicas: fifty})
	case "verdict_wall_s":
		b.closeShops() // a verdict is timed on a machine with no other shop on it
		return b.verdicts(ctx)
	}
	shop, err := b.mainShop(ctx)
	if err != nil {
		return nil, "", err
	}
	switch key {
	case "rss_mb":
		return b.rss(ctx, shop)
	case "hop_overhead_us":
		return b.hop(ctx, shop)
	case "latency_fault_error_pct":
		return b.latencyFault(ctx, shop)
	case "fault_apply_p99_ms":
		return b.faultApply(ctx, shop)
	case "browse_rps":
		return b.knee(ctx, shop, "browse", 100, 6500, 150)
	case "checkout_per_s":
		return b.knee(ctx, shop, "checkout", 20, 1000, 100)
	case "k6_share_of_wrk":
		return b.k6AgainstWrk(ctx, shop)
	case "proxied_throughput_ratio":
		direct, err := b.directShop(ctx)
		if err != nil {
			return nil, "", err
		}
		return b.proxiedRatio(ctx, shop, direct)
	}
	return nil, "", fmt.Errorf("no measurement for %s", key)
}

// fifty is a shape of 50 instances.
var fifty = map[string]int{"gateway": 8, "users": 7, "catalog": 7, "inventory": 7, "orders": 7, "payments": 7, "notifications": 7}

// repeat calls f Runs times and returns its values.
func (b *bencher) repeat(f func() (float64, error), detail string) ([]float64, string, error) {
	var out []float64
	for range b.Runs {
		v, err := f()
		if err != nil {
			return out, detail, err
		}
		out = append(out, v)
	}
	return out, detail, nil
}

// dir makes a new folder for one start or one load.
func (b *bencher) dir(what string) (string, error) {
	b.n++
	d := filepath.Join(b.Dir, fmt.Sprintf("%02d-%s", b.n, what))
	return d, os.MkdirAll(d, 0o755)
}

// start starts a shop of shape and says how long it took to be healthy.
func (b *bencher) start(ctx context.Context, shape lab.Shape, what string) (lab.Shop, time.Duration, error) {
	dir, err := b.dir(what)
	if err != nil {
		return nil, 0, err
	}
	began := time.Now()
	shop, err := b.Runtime.Start(ctx, lab.Params{Shape: shape, Dir: dir, StartTimeout: 90 * time.Second})
	took := time.Since(began)
	if err != nil {
		if shop != nil {
			shop.Close()
		}
		return nil, took, fmt.Errorf("start %s: %w", what, err)
	}
	return shop, took, nil
}

func (b *bencher) startups(ctx context.Context, shape lab.Shape) ([]float64, string, error) {
	n := 0
	for _, svc := range contract.Services {
		n += shape.ReplicasOf(svc)
	}
	detail := fmt.Sprintf("%d instances, a broker, %d proxies", n, len(lab.Links(shape)))
	return b.repeat(func() (float64, error) {
		shop, took, err := b.start(ctx, shape, "startup")
		if err != nil {
			return 0, err
		}
		return took.Seconds(), shop.Close()
	}, detail+"; Start until every instance answers /readyz")
}

// benchShape is the shop the load measurements run against: the default
// one, with stock enough for every checkout of the bench.
func benchShape(noProxies bool) lab.Shape {
	return lab.Shape{Seed: 1, NoProxies: noProxies, Config: map[string]string{"inventory.initial_stock": "1000000"}}
}

func (b *bencher) mainShop(ctx context.Context) (lab.Shop, error) {
	if b.shop == nil {
		shop, _, err := b.start(ctx, benchShape(false), "shop")
		if err != nil {
			return nil, err
		}
		b.shop = shop
	}
	return b.shop, nil
}

func (b *bencher) directShop(ctx context.Context) (lab.Shop, error) {
	if b.direct == nil {
		shop, _, err := b.start(ctx, benchShape(true), "shop-no-proxies")
		if err != nil {
			return nil, err
		}
		b.direct = shop
	}
	return b.direct, nil
}

func (b *bencher) closeShops() {
	var errs []error
	for _, s := range []lab.Shop{b.shop, b.direct} {
		if s != nil {
			errs = append(errs, s.Close())
		}
	}
	b.shop, b.direct = nil, nil
	if err := errors.Join(errs...); err != nil && b.Progress != nil {
		fmt.Fprintf(b.Progress, "bench: stop the shops: %v\n", err)
	}
}
