package kit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"lab/services/contract"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/failsafe-go/failsafe-go"
	"github.com/failsafe-go/failsafe-go/bulkhead"
	"github.com/failsafe-go/failsafe-go/circuitbreaker"
	"github.com/failsafe-go/failsafe-go/retrypolicy"
	"github.com/failsafe-go/failsafe-go/timeout"
)

// DefaultTimeout bounds a call when no policy says otherwise. No call in
// the shop waits without a limit.
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

// Client calls one callee service on behalf of one caller, through the
// edge's resilience Policy: each attempt picks an instance from the
// Directory, dials it through the route (the edge's proxy) and passes the
// request id on; the attempts run inside retry, breaker, bulkhead and
// timeout as the policy says, and every outcome is counted per edge.
type Client struct {
	Callee string
	caller string
	dir    *Directory
	cfg    *Config
	m      *Metrics
	hc     *http.Client
	log    *transitions

	mu     sync.Mutex
	policy Policy
	exec   failsafe.Executor[*http.Response]
}

func newClient(caller, callee string, dir *Directory, cfg *Config, m *Metrics, log *transitions) *Client {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: time.Second}).DialContext,
		MaxIdleConns:        512,
		MaxIdleConnsPerHost: 128,
		IdleConnTimeout:     30 * time.Second,
	}
	c := &Client{Callee: callee, caller: caller, dir: dir, cfg: cfg, m: m, log: log, hc: &http.Client{Transport: tr}}
	c.reload()
	cfg.OnChange(func(key, _ string) {
		if key == contract.ResiliencePresetKey || key == contract.ResilienceEdgeKey(caller, callee) {
			c.reload()
		}
	})
	return c
}

// Policy returns the edge's policy in force.
func (c *Client) Policy() Policy {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.policy
}

// FellBack counts a degraded answer served because a call on this edge failed.
func (c *Client) FellBack() { c.m.fallbacks.WithLabelValues(c.Callee).Inc() }

// reload builds the executor from the policy in config; a bad policy keeps
// the one in force (validate first, then swap).
func (c *Client) reload() {
	p, err := PolicyFor(c.cfg, c.caller, c.Callee)
	if err != nil && c.exec != nil {
		return
	}
	exec := c.build(p)
	c.mu.Lock()
	c.policy, c.exec = p, exec
	c.mu.Unlock()
	c.m.breaker.WithLabelValues(c.Callee).Set(0)
}

func failed(r *http.Response, err error) bool { return err != nil || (r != nil && r.StatusCode >= 500) }

// upstreamFailed is what the breaker counts: a failure of the callee, not a
// refusal of our own bulkhead, which says nothing of the callee's health.
func upstreamFailed(r *http.Response, err error) bool {
	return !errors.Is(err, bulkhead.ErrFull) && failed(r, err)
}

func (c *Client) build(p Policy) failsafe.Executor[*http.Response] {
	var ps []failsafe.Policy[*http.Response]
	if p.Retries > 0 {
		b := retrypolicy.NewBuilder[*http.Response]().HandleIf(failed).WithMaxRetries(p.Retries).
			AbortOnErrors(circuitbreaker.ErrOpen, bulkhead.ErrFull, context.Canceled).ReturnLastFailure().
			OnRetry(func(failsafe.ExecutionEvent[*http.Response]) { c.m.retries.WithLabelValues(c.Callee).Inc() })
		if p.Backoff > 0 {
			b = b.WithBackoff(p.Backoff.D(), max(p.MaxBackoff.D(), p.Backoff.D()))
			if p.Jitter > 0 {
				b = b.WithJitterFactor(min(p.Jitter, 1))
			}
		}
		ps = append(ps, b.Build())
	}
	if br := p.Breaker; br != nil && br.Failures > 0 {
		window := max(br.Window, br.Failures)
		ps = append(ps, circuitbreaker.NewBuilder[*http.Response]().HandleIf(upstreamFailed).
			WithFailureThresholdRatio(br.Failures, window).WithDelay(br.Delay.D()).
			WithSuccessThreshold(max(br.Successes, 1)).
			OnStateChanged(func(e circuitbreaker.StateChangedEvent) {
				c.m.breaker.WithLabelValues(c.Callee).Set(float64(e.NewState))
				c.log.add(c.caller+"->"+c.Callee, e.OldState.String(), e.NewState.String())
			}).Build())
	}
	if p.Bulkhead > 0 {
		ps = append(ps, bulkhead.NewBuilder[*http.Response](uint(p.Bulkhead)).WithMaxWaitTime(p.BulkheadWait.D()).
			OnFull(func(failsafe.ExecutionEvent[*http.Response]) { c.m.rejections.WithLabelValues(c.Callee).Inc() }).Build())
	}
	ps = append(ps, timeout.NewBuilder[*http.Response](p.Timeout.D()).
		OnTimeoutExceeded(func(failsafe.ExecutionDoneEvent[*http.Response]) { c.m.timeouts.WithLabelValues(c.Callee).Inc() }).Build())
	return failsafe.With[*http.Response](ps...)
}

// Do sends a request with body (JSON, or nothing when nil) to path on the
// callee and decodes a 2xx answer into out (unless nil). An answer outside
// 2xx is a *StatusError; an open breaker is circuitbreaker.ErrOpen, a full
// bulkhead bulkhead.ErrFull, an attempt past its time timeout.ErrExceeded.
func (c *Client) Do(ctx context.Context, method, path string, body, out any) error {
	c.mu.Lock()
	exec := c.exec
	c.mu.Unlock()
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return fmt.Errorf("encode request to %s: %w", c.Callee, err)
		}
	}
	start := time.Now()
	tried := &triedSet{}
	eject := c.Policy().Eject
	resp, err := exec.WithContext(ctx).GetWithExecution(func(e failsafe.Execution[*http.Response]) (*http.Response, error) {
		return c.attempt(ctx, e.Context(), method, path, payload, tried, eject)
	})
	c.m.callTime.WithLabelValues(c.Callee).Observe(time.Since(start).Seconds())
	outcome := contract.OutcomeOK
	switch {
	case err != nil && errors.Is(err, context.Canceled) && ctx.Err() != nil:
		outcome = contract.OutcomeCanceled // the caller's own request ended first
	case errors.Is(err, circuitbreaker.ErrOpen):
		outcome = "breaker_open"
	case errors.Is(err, bulkhead.ErrFull):
		outcome = "bulkhead_full"
	case errors.Is(err, timeout.ErrExceeded), errors.Is(err, context.DeadlineExceeded):
		outcome = "timeout"
	case err != nil:
		outcome = "error"
	case resp.StatusCode/100 != 2:
		outcome = "status_" + strconv.Itoa(resp.StatusCode/100) + "xx"
	}
	c.m.edgeCalls.WithLabelValues(c.Callee, outcome).Inc()
	if err != nil {
		return fmt.Errorf("call %s %s on %s: %w", method, path, c.Callee, err)
	}
	var data []byte
	if a, ok := resp.Body.(*answer); ok {
		data = a.data
	} else {
		data, _ = io.ReadAll(resp.Body)
	}
	if resp.StatusCode/100 != 2 {
		return &StatusError{Callee: c.Callee, Code: resp.StatusCode, Body: string(bytes.TrimSpace(data))}
	}
	if raw, ok := out.(*json.RawMessage); ok {
		*raw = data // relayed as it came: decoding it only to encode it again was the gateway's largest cost after the network
	} else if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("decode answer of %s: %w", c.Callee, err)
		}
	}
	return nil
}

// triedSet holds the instances a call's attempts went to. Attempts follow
// one another, but one abandoned at its timeout may still be ending when
// the retry starts, hence the lock.
type triedSet struct {
	mu    sync.Mutex
	names []string
}

func (t *triedSet) add(name string) {
	t.mu.Lock()
	t.names = append(t.names, name)
	t.mu.Unlock()
}

func (t *triedSet) list() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.names)
}

// attempt sends one request to one instance, one the call has not tried
// yet while there is one, and reads the whole answer. ctx is the attempt's
// own (its timeout ends it), call the call's: an attempt cut short because
// the call ended says nothing of the instance. Every other outcome is told
// to the directory's outlier ejection.
func (c *Client) attempt(call, ctx context.Context, method, path string, payload []byte, tried *triedSet, eject *Ejection) (*http.Response, error) {
	ep, done, err := c.dir.PickAvoiding(c.Callee, tried.list())
	if err != nil {
		c.m.calls.WithLabelValues(c.Callee, "", "no_instance").Inc()
		return nil, err
	}
	defer done()
	tried.add(ep.Instance)
	start := time.Now()
	resp, err := c.send(call, ctx, ep, method, path, payload)
	if call.Err() == nil {
		slow := eject != nil && eject.Slow > 0 && time.Since(start) > eject.Slow.D()
		c.dir.Observe(c.Callee, ep.Instance, failed(resp, err) || slow, eject)
	}
	return resp, err
}

// send is one attempt's request to ep, counted by its outcome: canceled
// only when the call ended first, a timeout when the attempt's own time ran
// out (which cancels ctx too).
func (c *Client) send(call, ctx context.Context, ep Endpoint, method, path string, payload []byte) (*http.Response, error) {
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://"+ep.Addr+path, rd)
	if err != nil {
		return nil, err
	}
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if id := RequestID(ctx); id != "" {
		req.Header.Set(RequestIDHeader, id)
	}
	c.m.attempts.WithLabelValues(c.Callee).Inc()
	start := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		outcome := "error"
		switch {
		case call.Err() != nil:
			outcome = contract.OutcomeCanceled
		case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, timeout.ErrExceeded) || ctx.Err() != nil:
			outcome = "timeout"
		}
		c.counted(ep, outcome, start)
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	resp.Body.Close()
	if err != nil {
		c.counted(ep, "error", start)
		return nil, fmt.Errorf("read answer of %s: %w", ep.Instance, err)
	}
	outcome := "ok"
	if resp.StatusCode/100 != 2 {
		outcome = "status_" + strconv.Itoa(resp.StatusCode/100) + "xx"
	}
	c.counted(ep, outcome, start)
	resp.Body = &answer{Reader: bytes.NewReader(data), data: data}
	return resp, nil
}

// counted counts one attempt to ep by its outcome and, unless the call
// ended first (its time says nothing of the instance), its time.
func (c *Client) counted(ep Endpoint, outcome string, start time.Time) {
	c.m.calls.WithLabelValues(c.Callee, ep.Instance, outcome).Inc()
	if outcome != contract.OutcomeCanceled {
		c.m.attemptTime.WithLabelValues(c.Callee, ep.Instance).Observe(time.Since(start).Seconds())
	}
}

// answer is the body of an answer attempt has read whole.
type answer struct {
	*bytes.Reader
	data []byte
}

func (*answer) Close() error { return nil }

// FailureStatus is the status a caller answers with when a call to another
// service failed: 504 when it timed out, 503 otherwise.
func FailureStatus(err error) int {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, timeout.ErrExceeded) {
		return http.StatusGatewayTimeout
	}
	return http.StatusServiceUnavailable
}

// transitions records every breaker state change of an instance, with its time.
type transitions struct {
	mu   sync.Mutex
	list []contract.Transition
}

func (t *transitions) add(edge, from, to string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.list = append(t.list, contract.Transition{Edge: edge, From: from, To: to, At: time.Now().UTC()})
}

func (t *transitions) all() []contract.Transition {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]contract.Transition{}, t.list...)
}
