// Package k6out is the lab's k6 output extension, the one piece of the load
// that runs inside k6 (the child `lab k6 run --out lab=ADDR`): it folds
// every http_req_duration sample into per-second, per-endpoint aggregates
// and streams them to the harness's load.Collector. It alone of the
// harness's load links k6, so the packages that read scenarios and results
// do not.
package k6out

import (
	"bufio"
	"encoding/json"
	"fmt"
	"lab/lab/results"
	"lab/load"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"go.k6.io/k6/metrics"
	"go.k6.io/k6/output"
)

var registerOnce sync.Once

// RegisterOutput registers the "lab" output with k6. Call it before running
// k6; calling it again does nothing.
func RegisterOutput() {
	registerOnce.Do(func() {
		output.RegisterExtension(load.OutputName, func(p output.Params) (output.Output, error) { return NewOutput(p) })
	})
}

// Output is the k6 output extension that streams per-second aggregates to
// the harness.
//
// Lifecycle: (1) Start dials the collector and sends "start"; (2) k6 calls
// AddMetricSamples, never concurrently, which only folds samples into the
// pending buckets under a lock; (3) a goroutine flushes pending buckets every
// 250 ms; (4) Stop flushes the rest, sends "end" and closes the connection.
// cmd.Execute ends the process with os.Exit, so all of it finishes in Stop.
type Output struct {
	addr  string
	serve bool // serve the stream at addr, for the collector to dial
	start time.Time

	mu      sync.Mutex
	pending map[key]*agg

	conn net.Conn
	w    *bufio.Writer
	stop chan struct{}
	done chan struct{}
	wmu  sync.Mutex
	werr error
}

type key struct {
	second   int
	endpoint string
}

type agg struct {
	requests, failed int64
	status           map[string]int
	hist             *hdrhistogram.Histogram
}

var _ output.Output = (*Output)(nil)

// NewOutput returns the output for p; the collector's address is the
// output's argument (`--out lab=127.0.0.1:PORT`) or the load.StreamEnv
// variable. With the load.ServePrefix (`--out lab=serve:0.0.0.0:PORT`), the
// output serves its stream there instead and waits for the collector to
// dial it: a generator on another machine, which the harness reaches but
// which may not reach the harness.
func NewOutput(p output.Params) (*Output, error) {
	addr := p.ConfigArgument
	if addr == "" {
		addr = p.Environment[load.StreamEnv]
	}
	serve := strings.HasPrefix(addr, load.ServePrefix)
	addr = strings.TrimPrefix(addr, load.ServePrefix)
	if addr == "" {
		return nil, fmt.Errorf("output %s: want the collector's address, as --out %s=HOST:PORT (or %sHOST:PORT to serve it there)",
			load.OutputName, load.OutputName, load.ServePrefix)
	}
	return &Output{addr: addr, serve: serve, pending: map[key]*agg{}, stop: make(chan struct{}), done: make(chan struct{})}, nil
}

// Description is shown by k6 run.
func (o *Output) Description() string {
	if o.serve {
		return "lab (serving on " + o.addr + ")"
	}
	return "lab (" + o.addr + ")"
}

// ServeTimeout is how long a serving output waits for the collector.
const ServeTimeout = 2 * time.Minute

// connect dials the collector, or waits for it to dial.
func (o *Output) connect() (net.Conn, error) {
	if !o.serve {
		return net.DialTimeout("tcp", o.addr, 5*time.Second)
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return nil, err
	}
	defer ln.Close() // one collector
	if tl, ok := ln.(*net.TCPListener); ok {
		_ = tl.SetDeadline(time.Now().Add(ServeTimeout))
	}
	return ln.Accept()
}

// Start connects to the collector.
func (o *Output) Start() error {
	conn, err := o.connect()
	if err != nil {
		return fmt.Errorf("output %s: connect to %s: %w", load.OutputName, o.addr, err)
	}
	o.conn, o.w = conn, bufio.NewWriter(conn)
	o.start = time.Now()
	// Flushed at once: the harness waits for it to begin the run's
	// timeline, and the first periodic flush is 250 ms away.
	if err := o.send(load.Message{Kind: "start", Start: o.start}); err != nil {
		return err
	}
	if err := o.w.Flush(); err != nil {
		return fmt.Errorf("output %s: %w", load.OutputName, err)
	}
	go o.loop()
	return nil
}

// AddMetricSamples folds http_req_duration samples into pending buckets.
func (o *Output) AddMetricSamples(containers []metrics.SampleContainer) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, c := range containers {
		for _, s := range c.GetSamples() {
			if s.Metric == nil || s.Metric.Name != metrics.HTTPReqDurationName {
				continue
			}
			if sc, _ := s.Tags.Get("scenario"); sc == "warmup" {
				continue // warmup is not measured
			}
			endpoint, _ := s.Tags.Get("name")
			sec := int(s.Time.Sub(o.start) / time.Second)
			if sec < 0 {
				sec = 0
			}
			k := key{sec, endpoint}
			a := o.pending[k]
			if a == nil {
				a = &agg{status: map[string]int{}, hist: results.NewHistogram()}
				o.pending[k] = a
			}
			a.requests++
			if ok, _ := s.Tags.Get("expected_response"); ok != "true" {
				a.failed++
			}
			st, _ := s.Tags.Get("status")
			a.status[st]++
			us := int64(s.Value * 1000) // k6 records milliseconds
			_ = a.hist.RecordValue(max(us, results.HistMin))
		}
	}
}

func (o *Output) loop() {
	defer close(o.done)
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-o.stop:
			return
		case <-t.C:
			_ = o.flush()
		}
	}
}

func (o *Output) flush() error {
	o.mu.Lock()
	batch := o.pending
	o.pending = map[key]*agg{}
	o.mu.Unlock()
	for k, a := range batch {
		h, err := a.hist.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
		if err != nil {
			return fmt.Errorf("encode histogram: %w", err)
		}
		b := &load.Bucket{Second: k.second, Endpoint: k.endpoint, Requests: a.requests, Failed: a.failed, Status: a.status, Hist: h}
		if err := o.send(load.Message{Kind: "bucket", Bucket: b}); err != nil {
			return err
		}
	}
	o.wmu.Lock()
	defer o.wmu.Unlock()
	if o.werr == nil {
		o.werr = o.w.Flush()
	}
	return o.werr
}

func (o *Output) send(m load.Message) error {
	line, err := json.Marshal(m)
	if err != nil {
		return err
	}
	o.wmu.Lock()
	defer o.wmu.Unlock()
	if o.werr != nil {
		return o.werr
	}
	if _, err := o.w.Write(append(line, '\n')); err != nil {
		o.werr = err
	}
	return o.werr
}

// Stop flushes what is pending, says "end" and closes the stream.
func (o *Output) Stop() error {
	close(o.stop)
	<-o.done
	err := o.flush()
	if err == nil {
		err = o.send(load.Message{Kind: "end"})
	}
	o.wmu.Lock()
	if err == nil {
		err = o.w.Flush()
	}
	o.wmu.Unlock()
	o.conn.Close()
	return err
}
