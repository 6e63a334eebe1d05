package load

import (
	"bytes"
	"encoding/json"
	"lab/lab/results"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// FuzzStream feeds the collector any stream: a generator's task on another
// node serves it on a port of that node, so it is outside input. The
// collector must not panic, whatever the stream holds.
func FuzzStream(f *testing.F) {
	h := results.NewHistogram()
	_ = h.RecordValue(1500)
	enc, _ := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	var good bytes.Buffer
	e := json.NewEncoder(&good)
	_ = e.Encode(Message{Kind: "start", Start: time.Unix(1, 0)})
	_ = e.Encode(Message{Kind: "bucket", Bucket: &Bucket{Second: 1, Endpoint: "browse", Requests: 1, Hist: enc}})
	_ = e.Encode(Message{Kind: "end"})
	f.Add(good.Bytes())
	f.Add([]byte(`{"kind":"bucket","bucket":{"s":-5,"e":"x","n":1,"h":"AAAA"}}` + "\n"))
	f.Add([]byte(`{"kind":"bucket","bucket":{"s":3,"e":"x","n":1,"h":"HISTFAAAACl4nJNpmSzMwMDAxQABzFCaEUTOmNZg/wEi0NzIyMDMBgBUPwPb"}}` + "\n"))
	f.Add([]byte("{\"kind\":\"start\"}\n{\"kind\":\"end\"}\n"))
	f.Add([]byte("not json\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c := newCollector(1)
		c.read(bytes.NewReader(data), true)
		_ = c.Sum("", -1<<20, 1<<20)
		_ = c.Endpoints()
	})
}
