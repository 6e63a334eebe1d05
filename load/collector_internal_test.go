package load

import (
	"encoding/json"
	"lab/lab/results"
	"math"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

func bucket(t *testing.T, second int, endpoint string, failed int64, us ...int64) *Bucket {
	t.Helper()
	h := results.NewHistogram()
	for _, v := range us {
		h.RecordValue(v)
	}
	enc, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		t.Fatal(err)
	}
	return &Bucket{Second: second, Endpoint: endpoint, Requests: int64(len(us)), Failed: failed, Hist: enc}
}

// TestAtReadsWhatSumAdds checks that At sees one second exactly as Sum does,
// late deltas merged, and nothing for a second without requests.
func TestAtReadsWhatSumAdds(t *testing.T) {
	c := &Collector{series: map[string]map[int]*results.Agg{}}
	for _, b := range []*Bucket{
		bucket(t, 3, "browse", 0, 1000, 2000, 3000),
		bucket(t, 3, "browse", 1, 50000), // a late delta for the same second
		bucket(t, 4, "browse", 0, 7000),
	} {
		if err := c.add(b); err != nil {
			t.Fatal(err)
		}
	}
	sum := c.Sum("browse", 3, 4)
	var got *results.Agg
	c.At("browse", 3, func(a *results.Agg) { got = a })
	if got == nil || got.Requests != sum.Requests || got.Failed != sum.Failed || got.Quantile(0.99) != sum.Quantile(0.99) {
		t.Fatalf("At %+v, Sum %+v", got, sum)
	}
	if got.Requests != 4 || got.Failed != 1 {
		t.Fatalf("second 3: %d requests, %d failed; want 4 and 1", got.Requests, got.Failed)
	}
	c.At("browse", 5, func(*results.Agg) { t.Fatal("At called fn for a second without requests") })
	c.At("checkout", 3, func(*results.Agg) { t.Fatal("At called fn for an endpoint without requests") })
}

// TestQuantileIsNearestRank: the q-quantile is the smallest value at least
// q of the requests did not exceed. For 64 requests the p99 is the 64th
// (the histogram's own rounding gave the 63rd), for 11 the p95 the 11th.
func TestQuantileIsNearestRank(t *testing.T) {
	for _, tt := range []struct {
		n    int
		q    float64
		want float64 // ms: the values are 1..n ms
	}{{64, 0.99, 64}, {64, 0.95, 61}, {64, 0.50, 32}, {11, 0.95, 11}, {1, 0.5, 1}, {1000, 0.99, 990}} {
		a := results.NewAgg()
		for i := 1; i <= tt.n; i++ {
			_ = a.Hist.RecordValue(int64(i * 1000))
		}
		if got := a.Quantile(tt.q); math.Abs(got-tt.want) > 0.001*tt.want {
			t.Errorf("n=%d q=%g: %g ms, want %g", tt.n, tt.q, got, tt.want)
		}
	}
}

func TestSegmentsCutTheTestWhole(t *testing.T) {
	segs, seq := Segments(3)
	if strings.Join(segs, " ") != "0:1/3 1/3:2/3 2/3:1" || seq != "0,1/3,2/3,1" {
		t.Fatalf("segments %v of %s", segs, seq)
	}
	if segs, seq := Segments(1); strings.Join(segs, " ") != "0:1" || seq != "0,1" {
		t.Fatalf("one generator: %v of %s", segs, seq)
	}
}

// TestCollectorMergesGeneratorsExactly: two generators' streams, over real
// TCP, merge into one series: counts add up, and the p99 is the merged
// histogram's (the 99th of 100 values spread over both), not an average of
// the two generators' p99s; the collector starts with both and ends with
// both.
func TestCollectorMergesGeneratorsExactly(t *testing.T) {
	c, err := ListenN(2)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	send := func(start time.Time, us []int64) {
		conn, err := net.Dial("tcp", c.Addr())
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		enc := json.NewEncoder(conn)
		_ = enc.Encode(Message{Kind: "start", Start: start})
		_ = enc.Encode(Message{Kind: "bucket", Bucket: bucket(t, 0, "browse", 1, us...)})
		_ = enc.Encode(Message{Kind: "end"})
	}
	var a, b []int64
	for v := int64(1); v <= 100; v++ { // 1..100 ms: odd ones to one, even to the other
		if v%2 == 1 {
			a = append(a, v*1000)
		} else {
			b = append(b, v*1000)
		}
	}
	send(t0.Add(20*time.Millisecond), a)
	select {
	case <-c.Started():
		t.Fatal("started with one generator of two")
	default:
	}
	send(t0, b)
	<-c.Done()
	if err := c.Err(); err != nil {
		t.Fatal(err)
	}
	sum := c.Sum("browse", 0, 1)
	if sum.Requests != 100 || sum.Failed != 2 || math.Abs(sum.Quantile(0.99)-99) > 0.5 {
		t.Fatalf("merged: %d requests, %d failed, p99 %.2f ms; want 100, 2, 99", sum.Requests, sum.Failed, sum.Quantile(0.99))
	}
	if !c.Start().Equal(t0) || c.Skew() != 20*time.Millisecond {
		t.Fatalf("start %v (want the earlier generator's), skew %v", c.Start(), c.Skew())
	}
}

// TestDialedStreamSurvivesAnEarlyClose: a generator's task publishes its
// port before k6 serves it, and the engine's proxy there accepts and closes
// at once. The collector dials again instead of taking that close for the
// stream's end; a dialed generator's start is the harness's clock (its own
// says 1970), and its seconds count from there.
func TestDialedStreamSurvivesAnEarlyClose(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	served := make(chan error, 1)
	go func() {
		early, err := ln.Accept() // the proxy's: nothing listens behind it yet
		if err != nil {
			served <- err
			return
		}
		early.Close()
		conn, err := ln.Accept()
		if err != nil {
			served <- err
			return
		}
		defer conn.Close()
		enc := json.NewEncoder(conn)
		_ = enc.Encode(Message{Kind: "start", Start: time.Unix(0, 0)})
		_ = enc.Encode(Message{Kind: "bucket", Bucket: bucket(t, 2, "browse", 0, 1000, 2000)})
		served <- enc.Encode(Message{Kind: "end"})
	}()
	before := time.Now()
	c := Dial([]string{ln.Addr().String()})
	defer c.Close()
	select {
	case <-c.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the dialed stream did not end")
	}
	if err := <-served; err != nil {
		t.Fatal(err)
	}
	if err := c.Err(); err != nil {
		t.Fatalf("an early close ended the stream: %v", err)
	}
	if got := c.Sum("browse", 2, 3).Requests; got != 2 {
		t.Fatalf("second 2: %d requests, want 2", got)
	}
	if c.Start().Before(before) {
		t.Fatalf("start %v: the generator's clock, not the harness's (after %v)", c.Start(), before)
	}
}

// TestDialGivesUpWhenClosed: a collector closed while nobody serves the
// stream stops dialing and says so, rather than for DialTimeout.
func TestDialGivesUpWhenClosed(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing serves there
	c := Dial([]string{addr})
	c.Close()
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("a closed collector went on dialing")
	}
	if err := c.Err(); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Fatalf("err %v, want the collector closed", err)
	}
}
