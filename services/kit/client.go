package kit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// DefaultTimeout bounds every call between services unless the config sets
// "<caller>.timeout.<callee>". No call in the shop waits without a limit.
const DefaultTimeout = 2 * time.Second

// StatusError is a callee's answer outside 2xx.
type StatusError struct {
	Callee string
	Code   int
	Body   string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s answered %d: %s", e.Callee, e.Code, e.Body)
}

// Client calls one callee service on behalf of one caller: it picks an
// instance from the Directory, dials it through the route (the edge's proxy),
// bounds the call by the configured timeout, passes the request id on, and
// counts the outcome.
type Client struct {
	Callee string
	caller string
	dir    *Directory
	cfg    *Config
	m      *Metrics
	hc     *http.Client
}

func newClient(caller, callee string, dir *Directory, cfg *Config, m *Metrics) *Client {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: time.Second}).DialContext,
		MaxIdleConns:        512,
		MaxIdleConnsPerHost: 128,
		IdleConnTimeout:     30 * time.Second,
	}
	return &Client{Callee: callee, caller: caller, dir: dir, cfg: cfg, m: m, hc: &http.Client{Transport: tr}}
}

// Do sends a request with body (JSON, or nothing when nil) to path on an
// instance of the callee and decodes a 2xx answer into out (unless nil).
// An answer outside 2xx is a *StatusError; a transport failure or timeout is
// returned wrapped, and context.DeadlineExceeded when the timeout fired.
func (c *Client) Do(ctx context.Context, method, path string, body, out any) error {
	ep, done, err := c.dir.Pick(c.Callee)
	if err != nil {
		c.m.calls.WithLabelValues(c.Callee, "", "no_instance").Inc()
		return err
	}
	defer done()
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Duration("timeout."+c.Callee, DefaultTimeout))
	defer cancel()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("encode request to %s: %w", c.Callee, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://"+ep.Addr+path, rd)
	if err != nil {
		return fmt.Errorf("build request to %s: %w", c.Callee, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if id := RequestID(ctx); id != "" {
		req.Header.Set(RequestIDHeader, id)
	}
	start := time.Now()
	resp, err := c.hc.Do(req)
	c.m.callTime.WithLabelValues(c.Callee).Observe(time.Since(start).Seconds())
	if err != nil {
		outcome := "error"
		if errors.Is(err, context.DeadlineExceeded) {
			outcome = "timeout"
		}
		c.m.calls.WithLabelValues(c.Callee, ep.Instance, outcome).Inc()
		return fmt.Errorf("call %s %s on %s: %w", method, path, ep.Instance, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		c.m.calls.WithLabelValues(c.Callee, ep.Instance, "error").Inc()
		return fmt.Errorf("read answer of %s: %w", ep.Instance, err)
	}
	if resp.StatusCode/100 != 2 {
		c.m.calls.WithLabelValues(c.Callee, ep.Instance, "status_"+fmt.Sprint(resp.StatusCode/100)+"xx").Inc()
		return &StatusError{Callee: c.Callee, Code: resp.StatusCode, Body: string(bytes.TrimSpace(data))}
	}
	c.m.calls.WithLabelValues(c.Callee, ep.Instance, "ok").Inc()
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("decode answer of %s: %w", ep.Instance, err)
		}
	}
	return nil
}

// FailureStatus is the status a caller answers with when a call to another
// service failed: 504 when it timed out, 503 otherwise.
func FailureStatus(err error) int {
	if errors.Is(err, context.DeadlineExceeded) {
		return http.StatusGatewayTimeout
	}
	return http.StatusServiceUnavailable
}
