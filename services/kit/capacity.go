package kit

import (
	"context"
	"sync"
	"time"
)

// capacity is the capacity model of an instance: at most max requests are
// worked on at once (0: no limit), the rest wait in arrival order; each
// request costs cpu of busy CPU time and wait of idle waiting (a disk, a lock).
// A saturated instance therefore queues, and more replicas really help.
//
// The limits are read from config on every request, so they can change while
// the shop runs ("<svc>.max_concurrency", "<svc>.work.cpu", "<svc>.work.wait").
type capacity struct {
	cfg *Config
	m   *Metrics

	mu    sync.Mutex
	inUse int
	queue []chan struct{}
}

func (c *capacity) acquire(ctx context.Context) error {
	max := c.cfg.Int("max_concurrency", 0)
	c.mu.Lock()
	if max <= 0 || c.inUse < max {
		c.inUse++
		c.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	c.queue = append(c.queue, ch)
	c.m.queued.Set(float64(len(c.queue)))
	c.mu.Unlock()
	select {
	case <-ch: // the releaser handed its slot to us
		return nil
	case <-ctx.Done():
		c.mu.Lock()
		defer c.mu.Unlock()
		for i, q := range c.queue {
			if q == ch {
				c.queue = append(c.queue[:i], c.queue[i+1:]...)
				c.m.queued.Set(float64(len(c.queue)))
				return ctx.Err()
			}
		}
		// Handed a slot while giving up: pass it on.
		c.releaseLocked()
		return ctx.Err()
	}
}

func (c *capacity) release() {
	c.mu.Lock()
	c.releaseLocked()
	c.mu.Unlock()
}

func (c *capacity) releaseLocked() {
	max := c.cfg.Int("max_concurrency", 0)
	if len(c.queue) > 0 && (max <= 0 || c.inUse <= max) {
		ch := c.queue[0]
		c.queue = c.queue[1:]
		c.m.queued.Set(float64(len(c.queue)))
		close(ch)
		return
	}
	c.inUse--
}

// work spends the configured CPU and waiting time of one request.
func (c *capacity) work(ctx context.Context) {
	if cpu := c.cfg.Duration("work.cpu", 0); cpu > 0 {
		end := time.Now().Add(cpu)
		for time.Now().Before(end) {
		}
	}
	if wait := c.cfg.Duration("work.wait", 0); wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
		}
	}
}
