package experiment

import (
	"bufio"
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"lab/lab"
)

// scraper reads every instance's /metrics each second and keeps the signals
// the verdict needs: failed calls between services, outbox depth, consumer lag.
type scraper struct {
	shop lab.Shop
	t0   time.Time
	hc   *http.Client

	mu       sync.Mutex
	signals  []Signal
	lastErrs map[string]float64 // per instance: the counter's last value
}

func newScraper(shop lab.Shop, t0 time.Time) *scraper {
	return &scraper{shop: shop, t0: t0, hc: &http.Client{Timeout: 800 * time.Millisecond}, lastErrs: map[string]float64{}}
}

// run scrapes every second until ctx ends.
func (s *scraper) run(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			s.once(ctx, now)
		}
	}
}

type scrapeOut struct {
	instance    string
	ok          bool
	callErrors  float64
	outbox, lag float64
}

func (s *scraper) once(ctx context.Context, now time.Time) Signal {
	ins := s.shop.Instances()
	res := make([]scrapeOut, len(ins))
	var wg sync.WaitGroup
	for i, in := range ins {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[i] = s.scrapeOne(ctx, in)
		}()
	}
	wg.Wait()
	sig := Signal{S: int(now.Sub(s.t0) / time.Second), InstancesAll: len(ins)}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range res {
		if !r.ok {
			continue
		}
		sig.InstancesUp++
		if last, seen := s.lastErrs[r.instance]; seen && r.callErrors >= last {
			sig.CallErrors += r.callErrors - last
		}
		s.lastErrs[r.instance] = r.callErrors
		sig.OutboxMax += r.outbox
		sig.ConsumerLag += r.lag
	}
	s.signals = append(s.signals, sig)
	return sig
}

func (s *scraper) scrapeOne(ctx context.Context, in lab.Instance) scrapeOut {
	out := scrapeOut{instance: in.Name}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+in.Addr+"/metrics", nil)
	resp, err := s.hc.Do(req)
	if err != nil {
		return out
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		v := func() float64 {
			f, _ := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
			return f
		}
		switch {
		case strings.HasPrefix(line, "shop_client_requests_total{") && !strings.Contains(line, `outcome="ok"`):
			out.callErrors += v()
		case strings.HasPrefix(line, "shop_outbox_pending{"):
			out.outbox += v()
		case strings.HasPrefix(line, "shop_consumer_lag{"):
			out.lag += v()
		}
	}
	out.ok = true
	return out
}

// Signals returns what was scraped so far.
func (s *scraper) Signals() []Signal {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Signal{}, s.signals...)
}
