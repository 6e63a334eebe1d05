package load

import (
	"bufio"
	"encoding/json"
	"fmt"
	"lab/lab/results"
	"net"
	"sort"
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Collector receives the streams of a k6 run, one per generator (k6
// process, each running its execution segment of the test), and keeps
// their series, merged: per endpoint and second, the requests, failures,
// statuses and HDR histograms of every generator added up, so that counts
// are sums and percentiles are read off the merged histogram, never
// averaged. A generator's second k is the k-th second of its own test,
// which starts when it says "start"; the generators start within a few
// tens of milliseconds of each other, and Skew says how far apart.
type Collector struct {
	ln net.Listener
	n  int // generators

	mu      sync.Mutex
	start   time.Time // the first generator's
	last    time.Time // the last generator's
	starts  int
	ends    int
	series  map[string]map[int]*results.Agg // endpoint -> second -> aggregate
	ended   bool
	started chan struct{}
	done    chan struct{}
	err     error
}

// Listen starts a collector of one generator on a free loopback port.
func Listen() (*Collector, error) { return ListenN(1) }

// ListenN starts a collector of n generators on a free loopback port.
func ListenN(n int) (*Collector, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for the load stream: %w", err)
	}
	c := &Collector{ln: ln, n: max(n, 1), series: map[string]map[int]*results.Agg{}, started: make(chan struct{}), done: make(chan struct{})}
	go c.accept()
	return c, nil
}

// Skew is how far apart the generators started; 0 for one.
func (c *Collector) Skew() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.starts < 2 {
		return 0
	}
	return c.last.Sub(c.start)
}

// Addr is where the output connects.
func (c *Collector) Addr() string { return c.ln.Addr().String() }

// Started is closed when the load has started; Start is then set.
func (c *Collector) Started() <-chan struct{} { return c.started }

// Done is closed when the stream has ended or broken.
func (c *Collector) Done() <-chan struct{} { return c.done }

// Start is when the load started, by the child's clock (the same machine's).
func (c *Collector) Start() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.start
}

// Err is why the stream broke off before "end", if it did.
func (c *Collector) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Close stops listening.
func (c *Collector) Close() error { return c.ln.Close() }

func (c *Collector) accept() {
	defer close(c.done)
	var wg sync.WaitGroup
	for range c.n {
		conn, err := c.ln.Accept()
		if err != nil {
			c.fail(fmt.Errorf("accept the load stream: %w", err))
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer conn.Close()
			c.read(conn)
		}()
	}
	c.ln.Close() // one stream per generator
	wg.Wait()
}

// read takes one generator's stream until its "end".
func (c *Collector) read(conn net.Conn) {
	sc := bufio.NewScanner(conn)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var m Message
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			c.fail(fmt.Errorf("decode the load stream: %w", err))
			return
		}
		switch m.Kind {
		case "start":
			c.mu.Lock()
			if c.starts == 0 || m.Start.Before(c.start) {
				c.start = m.Start
			}
			if m.Start.After(c.last) {
				c.last = m.Start
			}
			c.starts++
			if c.starts == c.n {
				close(c.started)
			}
			c.mu.Unlock()
		case "bucket":
			if err := c.add(m.Bucket); err != nil {
				c.fail(err)
				return
			}
		case "end":
			c.mu.Lock()
			c.ends++
			c.ended = c.ends == c.n
			c.mu.Unlock()
			return
		}
	}
	c.fail(fmt.Errorf("the load stream ended early: %v", sc.Err()))
}

func (c *Collector) fail(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil && !c.ended {
		c.err = err
	}
}

func (c *Collector) add(b *Bucket) error {
	if b == nil {
		return nil
	}
	h, err := hdrhistogram.Decode(b.Hist)
	if err != nil {
		return fmt.Errorf("decode histogram: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.series[b.Endpoint] == nil {
		c.series[b.Endpoint] = map[int]*results.Agg{}
	}
	a := c.series[b.Endpoint][b.Second]
	if a == nil {
		a = results.NewAgg()
		c.series[b.Endpoint][b.Second] = a
	}
	a.Add(&results.Agg{Requests: b.Requests, Failed: b.Failed, Status: b.Status, Hist: h})
	return nil
}

// Endpoints returns the endpoints seen so far, sorted.
func (c *Collector) Endpoints() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for e := range c.series {
		out = append(out, e)
	}
	sort.Strings(out)
	return out
}

// Sum returns the aggregate of endpoint over seconds [from, to) since the
// start ("" for every endpoint).
func (c *Collector) Sum(endpoint string, from, to int) *results.Agg {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := results.NewAgg()
	for e, secs := range c.series {
		if endpoint != "" && e != endpoint {
			continue
		}
		for s, a := range secs {
			if s >= from && s < to {
				out.Add(a)
			}
		}
	}
	return out
}

// At calls fn with the stored aggregate of endpoint over one second, under
// the collector's lock, if that second has any request. fn must not keep a.
// Unlike Sum it copies nothing, so walking a run second by second does not
// build a histogram per second.
func (c *Collector) At(endpoint string, second int, fn func(a *results.Agg)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if a := c.series[endpoint][second]; a != nil {
		fn(a)
	}
}
