package kit

import (
	"lab/services/contract"
	"math/rand/v2"
	"net/http"
	"sync/atomic"
	"time"
)

type activeFault struct {
	contract.HTTPFault
	used atomic.Int64
}

// httpFaults holds the HTTP faults in force on one instance.
type httpFaults struct{ set *faultSet[activeFault] }

func newHTTPFaults(instance string, cfg *Config) *httpFaults {
	return &httpFaults{set: newFaultSet[activeFault](cfg, contract.HTTPFaultPrefix(instance))}
}

// apply runs the faults in force on one request. It returns true when it
// has answered the request itself.
func (h *httpFaults) apply(w http.ResponseWriter, r *http.Request) bool {
	var hit []*activeFault
	h.set.each(func(f *activeFault) {
		if rand.Float64() >= f.Share {
			return
		}
		if f.Count > 0 && f.used.Add(1) > int64(f.Count) {
			return
		}
		hit = append(hit, f)
	})
	for _, f := range hit {
		if f.DelayMS > 0 {
			select {
			case <-time.After(time.Duration(f.DelayMS) * time.Millisecond):
			case <-r.Context().Done():
				return true
			}
		}
	}
	for _, f := range hit {
		if f.Status > 0 {
			WriteError(w, f.Status, "injected fault")
			return true
		}
	}
	return false
}
