package load

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
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
//
// A collector listens for generators on the harness's machine (Listen,
// ListenN), or dials generators that serve their stream (Dial: tasks on
// other machines, which may not reach the harness). A dialed generator's
// start is the harness's clock at its "start", since machines' clocks
// differ; its seconds are counted from there.
type Collector struct {
	ln    net.Listener // nil when dialing
	n     int          // generators
	stop  chan struct{}
	close sync.Once

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
	c := newCollector(n)
	c.ln = ln
	go c.accept()
	return c, nil
}

func newCollector(n int) *Collector {
	return &Collector{n: max(n, 1), stop: make(chan struct{}), series: map[string]map[int]*results.Agg{},
		started: make(chan struct{}), done: make(chan struct{})}
}

// DialTimeout is how long Dial tries to reach a generator's stream: its
// task starts k6, which reads the script before it serves.
const DialTimeout = time.Minute

// Dial starts a collector of one generator per address, each serving its
// stream there (`--out lab=serve:ADDR`), dialed until it answers, for
// DialTimeout at most, or until Close.
func Dial(addrs []string) *Collector {
	c := newCollector(len(addrs))
	var wg sync.WaitGroup
	for _, addr := range addrs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, br, err := c.dial(addr)
			if err != nil {
				c.fail(err)
				return
			}
			defer conn.Close()
			c.read(br, true)
		}()
	}
	go func() {
		wg.Wait()
		close(c.done)
	}()
	return c
}

// dial reaches the stream at addr: a connection that ends before its first
// line is no stream yet (a port the engine's proxy accepts for a task that
// does not listen yet: it closes it at once), and is dialed again.
func (c *Collector) dial(addr string) (net.Conn, *bufio.Reader, error) {
	deadline := time.Now().Add(DialTimeout)
	for {
		conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
		if err == nil {
			br := bufio.NewReader(conn)
			if _, err = br.Peek(1); err == nil {
				return conn, br, nil
			}
			conn.Close()
		}
		if time.Now().After(deadline) {
			return nil, nil, fmt.Errorf("reach the load stream at %s: %w", addr, err)
		}
		select {
		case <-c.stop:
			return nil, nil, fmt.Errorf("reach the load stream at %s: the collector was closed", addr)
		case <-time.After(50 * time.Millisecond):
		}
	}
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

// Addr is where the output connects ("" for a collector that dials).
func (c *Collector) Addr() string {
	if c.ln == nil {
		return ""
	}
	return c.ln.Addr().String()
}

// Started is closed when the load has started; Start is then set.
func (c *Collector) Started() <-chan struct{} { return c.started }

// Done is closed when the stream has ended or broken.
func (c *Collector) Done() <-chan struct{} { return c.done }

// Start is when the load started, by the child's clock (the same
// machine's), or by the harness's for generators it dialed.
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

// Close stops listening, or dialing.
func (c *Collector) Close() error {
	c.close.Do(func() { close(c.stop) })
	if c.ln == nil {
		return nil
	}
	return c.ln.Close()
}

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
			c.read(conn, false)
		}()
	}
	c.ln.Close() // one stream per generator
	wg.Wait()
}

// read takes one generator's stream until its "end"; harnessClock takes
// its start as the moment its "start" arrives.
func (c *Collector) read(conn io.Reader, harnessClock bool) {
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
			if harnessClock {
				m.Start = time.Now()
			}
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
