package load

import (
	"testing"

	"github.com/HdrHistogram/hdrhistogram-go"
)

func bucket(t *testing.T, second int, endpoint string, failed int64, us ...int64) *Bucket {
	t.Helper()
	h := NewHistogram()
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
	c := &Collector{series: map[string]map[int]*Agg{}}
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
	var got *Agg
	c.At("browse", 3, func(a *Agg) { got = a })
	if got == nil || got.Requests != sum.Requests || got.Failed != sum.Failed || got.Quantile(0.99) != sum.Quantile(0.99) {
		t.Fatalf("At %+v, Sum %+v", got, sum)
	}
	if got.Requests != 4 || got.Failed != 1 {
		t.Fatalf("second 3: %d requests, %d failed; want 4 and 1", got.Requests, got.Failed)
	}
	c.At("browse", 5, func(*Agg) { t.Fatal("At called fn for a second without requests") })
	c.At("checkout", 3, func(*Agg) { t.Fatal("At called fn for an endpoint without requests") })
}
