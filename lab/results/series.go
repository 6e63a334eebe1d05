package results

import (
	"math"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram bounds: latencies in microseconds from 1 us to 120 s, 3 digits.
const (
	HistMin    = 1
	HistMax    = 120_000_000
	HistDigits = 3
)

// NewHistogram returns an empty latency histogram in microseconds.
func NewHistogram() *hdrhistogram.Histogram { return hdrhistogram.New(HistMin, HistMax, HistDigits) }

// Agg is the aggregate of one endpoint over one or more seconds.
type Agg struct {
	Requests int64
	Failed   int64
	Status   map[string]int
	Hist     *hdrhistogram.Histogram // microseconds
}

// NewAgg returns an empty aggregate.
func NewAgg() *Agg { return &Agg{Status: map[string]int{}, Hist: NewHistogram()} }

// Add merges b into a.
func (a *Agg) Add(b *Agg) {
	a.Requests += b.Requests
	a.Failed += b.Failed
	for k, v := range b.Status {
		a.Status[k] += v
	}
	a.Hist.Merge(b.Hist)
}

// SuccessRate is the share of requests that did not fail, 1 for none.
func (a *Agg) SuccessRate() float64 {
	if a.Requests == 0 {
		return 1
	}
	return float64(a.Requests-a.Failed) / float64(a.Requests)
}

// Quantile returns the q-quantile (0..1) of durations in milliseconds, by
// nearest rank: the smallest recorded value that at least q of the
// requests did not exceed (to the histogram's 3 digits). The histogram's
// own ValueAtPercentile rounds the rank to the nearest instead, so for 64
// requests its p99 is the 63rd value, below which only 98.4% fall: a tail
// understated by 10-25% in a short phase, which the cross-check against
// k6's raw samples found.
func (a *Agg) Quantile(q float64) float64 {
	n := a.Hist.TotalCount()
	if n == 0 {
		return 0
	}
	rank := min(max(math.Ceil(q*float64(n)), 1), float64(n))
	// ValueAtPercentile takes the rank int(p/100*n + 0.5); this p gives
	// exactly rank.
	return float64(a.Hist.ValueAtPercentile(100*(rank-0.25)/float64(n))) / 1000
}

// Series is what the figures are computed from: per-second aggregates of
// each endpoint, with second 0 at the start of the measured load. The
// load's collector is one; tests build their own.
type Series interface {
	// Sum aggregates endpoint (every endpoint for "") over seconds [from, to).
	Sum(endpoint string, from, to int) *Agg
	// At calls fn with endpoint's aggregate of one second, if it has one.
	At(endpoint string, second int, fn func(*Agg))
	// Endpoints lists the endpoints that had requests.
	Endpoints() []string
}
