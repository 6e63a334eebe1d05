// Package load drives the shop with k6, embedded in the lab binary.
//
// The harness runs the load as a child `lab k6 run --out lab=ADDR SCRIPT`.
// Inside that child, the k6 output extension "lab" (package k6out) folds every
// http_req_duration sample into per-second, per-endpoint aggregates (the k6
// `name` tag is the endpoint) with an HDR histogram of latencies, and streams
// them as JSON lines to ADDR, where the harness's Collector merges them.
// Buckets are deltas: a late sample for a second already sent is sent again
// in a later flush and merged, so nothing is dropped and percentiles over any
// set of seconds stay exact to the histogram's precision (3 digits).
//
//	lab (harness)                          lab k6 run (child)
//	Collector <--- JSON lines over TCP --- Output.AddMetricSamples
//	  Series: endpoint -> second -> Agg       (k6 engine, JS journeys)
package load

import (
	"time"
)

// Message is one line of the stream from the output to the collector.
type Message struct {
	// Kind is "start" (Start is set), "bucket" (Bucket is set) or "end".
	Kind   string    `json:"kind"`
	Start  time.Time `json:"start,omitzero"`
	Bucket *Bucket   `json:"bucket,omitempty"`
}

// Bucket holds requests of one endpoint that started within one second.
type Bucket struct {
	// Second counts whole seconds since the load started.
	Second   int            `json:"s"`
	Endpoint string         `json:"e"`
	Requests int64          `json:"n"`
	Failed   int64          `json:"f"`
	Status   map[string]int `json:"st,omitempty"`
	// Hist is the HDR histogram of durations in microseconds, encoded.
	Hist []byte `json:"h"`
}

// OutputName is the name of the output extension: `--out lab=ADDR`.
const OutputName = "lab"

// ServePrefix, before the output's address (`--out lab=serve:ADDR`), has
// it serve its stream there for the collector to dial (load.Dial).
const ServePrefix = "serve:"

// StreamEnv names the environment variable through which the harness may
// also pass the collector's address to the output.
const StreamEnv = "LAB_K6_STREAM"
