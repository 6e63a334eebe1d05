package kit

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"lab/services/contract"
)

// clock is a directory's time, moved by hand; its timers fire when it
// passes them.
type clock struct {
	now    time.Time
	timers []timer
}

type timer struct {
	at time.Time
	f  func()
}

func (c *clock) install(d *Directory) {
	d.now = func() time.Time { return c.now }
	d.afterFunc = func(after time.Duration, f func()) { c.timers = append(c.timers, timer{c.now.Add(after), f}) }
}

func (c *clock) advance(by time.Duration) {
	c.now = c.now.Add(by)
	var left []timer
	for _, t := range c.timers {
		if !t.at.After(c.now) {
			t.f()
		} else {
			left = append(left, t)
		}
	}
	c.timers = left
}

// picks returns which instances n picks of service went to.
func picks(t *testing.T, d *Directory, service string, n int) map[string]int {
	t.Helper()
	out := map[string]int{}
	for range n {
		ep, done, err := d.Pick(service)
		if err != nil {
			t.Fatal(err)
		}
		done()
		out[ep.Instance]++
	}
	return out
}

func newEjectingDirectory(instances ...string) (*Directory, *clock, *[]EjectionEvent) {
	c := &clock{now: time.Unix(1000, 0)}
	d := NewDirectory("gateway", NewConfig("gateway", "gateway-1", nil))
	c.install(d)
	for _, in := range instances {
		register(d, "catalog", in, in, c.now)
	}
	var events []EjectionEvent
	d.OnEjection = func(e EjectionEvent) { events = append(events, e) }
	return d, c, &events
}

// TestEjectionAfterConsecutiveFailures: an instance leaves the rotation
// after Failures failed attempts in a row (a success in between starts
// the count again), stays out for Base, then Base times the ejections in
// its streak up to Max, and starts again from Base once it has served
// for Max.
func TestEjectionAfterConsecutiveFailures(t *testing.T) {
	d, c, events := newEjectingDirectory("catalog-1", "catalog-2", "catalog-3")
	e := &Ejection{Failures: 3, Base: Dur(time.Second), Max: Dur(3 * time.Second), MaxShare: 0.5}
	fail := func(n int) {
		for range n {
			d.Observe("catalog", "catalog-2", true, e)
		}
	}
	fail(2)
	d.Observe("catalog", "catalog-2", false, e)
	fail(2)
	if got := picks(t, d, "catalog", 6); got["catalog-2"] != 2 {
		t.Fatalf("after 2 failures, a success and 2 more: picks %v; catalog-2 must still be in the rotation", got)
	}
	wantOut := []time.Duration{time.Second, 2 * time.Second, 3 * time.Second, 3 * time.Second}
	for i, want := range wantOut {
		fail(3)
		if got := picks(t, d, "catalog", 6); got["catalog-2"] != 0 {
			t.Fatalf("ejection %d: picks %v; catalog-2 must be out", i+1, got)
		}
		last := (*events)[len(*events)-1]
		if !last.Ejected || last.Instance != "catalog-2" || last.For != want {
			t.Fatalf("ejection %d: event %+v, want catalog-2 ejected for %s", i+1, last, want)
		}
		fail(5) // failures while out change nothing
		c.advance(want - time.Millisecond)
		if got := picks(t, d, "catalog", 6); got["catalog-2"] != 0 {
			t.Fatalf("ejection %d, 1 ms before its end: picks %v; catalog-2 must be out", i+1, got)
		}
		c.advance(time.Millisecond)
		if got := picks(t, d, "catalog", 6); got["catalog-2"] != 2 {
			t.Fatalf("ejection %d, at its end: picks %v; catalog-2 must be back", i+1, got)
		}
		if last := (*events)[len(*events)-1]; last.Ejected || last.Instance != "catalog-2" {
			t.Fatalf("ejection %d: last event %+v, want catalog-2's return", i+1, last)
		}
	}
	c.advance(3 * time.Second) // in rotation for Max: the streak is over
	fail(3)
	if last := (*events)[len(*events)-1]; last.For != time.Second {
		t.Fatalf("after serving for Max: ejected for %s, want Base again (1s)", last.For)
	}
}

// TestEjectionShare: never more than MaxShare of the instances out (but
// one may always go when there are two), and never the last one.
func TestEjectionShare(t *testing.T) {
	for _, tc := range []struct {
		instances int
		share     float64
		want      int
	}{
		{1, 0.5, 0}, {2, 0.5, 1}, {2, 0.1, 1}, {3, 0.5, 1}, {4, 0.5, 2}, {4, 1, 3}, {5, 0.9, 4},
	} {
		var names []string
		for i := range tc.instances {
			names = append(names, fmt.Sprintf("catalog-%d", i+1))
		}
		d, _, events := newEjectingDirectory(names...)
		e := &Ejection{Failures: 1, Base: Dur(time.Second), MaxShare: tc.share}
		for _, n := range names {
			d.Observe("catalog", n, true, e)
		}
		if got := len(*events); got != tc.want {
			t.Errorf("%d instances, max share %g, all failing: %d ejected, want %d", tc.instances, tc.share, got, tc.want)
		}
		if got := picks(t, d, "catalog", 10); len(got) != tc.instances-tc.want {
			t.Errorf("%d instances, max share %g: picks went to %v, want %d instances", tc.instances, tc.share, got, tc.instances-tc.want)
		}
	}
}

// TestEjectionOff: no policy, or failures 0, never ejects.
func TestEjectionOff(t *testing.T) {
	for _, e := range []*Ejection{nil, {Failures: 0, Base: Dur(time.Second)}} {
		d, _, events := newEjectingDirectory("catalog-1", "catalog-2")
		for range 20 {
			d.Observe("catalog", "catalog-1", true, e)
		}
		if len(*events) != 0 {
			t.Fatalf("ejection %+v: %d ejections, want none", e, len(*events))
		}
	}
}

// TestClientEjectsTheBadReplica: through the default policy, real HTTP to
// two instances, one of which answers 503: the caller stops sending to it
// after three failed attempts (each retried on the good one, so no call
// fails), counts the ejection on the edge and lists it with the breaker
// transitions; an attempt the caller itself cut short is no failure of the
// instance; after the ejection the bad replica sees no request until it
// comes back.
func TestClientEjectsTheBadReplica(t *testing.T) {
	var badHits atomic.Int64
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		badHits.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer bad.Close()
	good := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{}`)
	}))
	defer good.Close()
	cfg := NewConfig("gateway", "gateway-1", nil) // the default preset
	dir := NewDirectory("gateway", cfg)
	for name, srv := range map[string]*httptest.Server{"catalog-1": good, "catalog-2": bad} {
		register(dir, "catalog", name, strings.TrimPrefix(srv.URL, "http://"), time.Now())
	}
	m := NewMetrics("gateway", "gateway-1")
	trans := &transitions{}
	dir.OnEjection = recordEjections("gateway", m, trans, slog.New(slog.NewTextHandler(io.Discard, nil)))
	c := newClient("gateway", "catalog", dir, cfg, m, trans)

	for i := range 40 {
		if err := c.Do(context.Background(), http.MethodGet, "/api/products", nil, nil); err != nil {
			t.Fatalf("call %d: %v; the retry on catalog-1 must carry it", i, err)
		}
	}
	if got := badHits.Load(); got != int64(DefaultEjection.Failures) {
		t.Fatalf("catalog-2 got %d requests of 40 calls, want %d: ejected after that many failures in a row", got, DefaultEjection.Failures)
	}
	var ejected []contract.Transition
	for _, tr := range trans.all() {
		if tr.To == contract.Ejected {
			ejected = append(ejected, tr)
		}
	}
	if len(ejected) != 1 || ejected[0].Edge != "gateway->catalog-2" || ejected[0].From != "closed" {
		t.Fatalf("transitions %+v, want one gateway->catalog-2 closed -> ejected", trans.all())
	}
	mfs, _ := m.Registry.Gather()
	var count float64
	for _, mf := range mfs {
		if mf.GetName() == contract.EdgeEjections {
			for _, x := range mf.GetMetric() {
				count += x.GetCounter().GetValue()
			}
		}
	}
	if count != 1 {
		t.Fatalf("%s = %g, want 1", contract.EdgeEjections, count)
	}
}

// TestCanceledAttemptIsNoFailure: calls the caller abandons say nothing of
// the instance, however many in a row.
func TestCanceledAttemptIsNoFailure(t *testing.T) {
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer slow.Close()
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer other.Close()
	cfg := NewConfig("gateway", "gateway-1", nil)
	dir := NewDirectory("gateway", cfg)
	register(dir, "catalog", "catalog-1", strings.TrimPrefix(slow.URL, "http://"), time.Now())
	register(dir, "catalog", "catalog-2", strings.TrimPrefix(other.URL, "http://"), time.Now())
	var ejections atomic.Int64
	dir.OnEjection = func(EjectionEvent) { ejections.Add(1) }
	c := newClient("gateway", "catalog", dir, cfg, NewMetrics("gateway", "gateway-1"), &transitions{})
	for range 10 {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		_ = c.Do(ctx, http.MethodGet, "/slow", nil, nil)
		cancel()
	}
	if n := ejections.Load(); n != 0 {
		t.Fatalf("%d ejections of calls the caller cut short, want none", n)
	}
}
