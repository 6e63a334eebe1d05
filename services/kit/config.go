package kit

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Config is a live view of the config bucket. Keys are dotted
// ("payments.mode", "catalog.work.wait"); a lookup for an instance tries
// "<instance>.<key>", then "<service>.<key>", then the default, so one
// replica can be set apart from its siblings.
//
// Config is safe for concurrent use. Values change as the bucket changes.
type Config struct {
	service, instance string

	mu     sync.RWMutex
	values map[string]string
	subs   []func(key, value string)
}

// NewConfig returns an empty Config for one instance; Watch fills it.
func NewConfig(service, instance string, values map[string]string) *Config {
	c := &Config{service: service, instance: instance, values: map[string]string{}}
	for k, v := range values {
		c.values[k] = v
	}
	return c
}

// Watch loads the bucket, returning once every current value is in, and keeps
// the view current until ctx ends.
func (c *Config) Watch(ctx context.Context, kv jetstream.KeyValue) error {
	return watchBucket(ctx, kv, func(e jetstream.KeyValueEntry) {
		value := string(e.Value())
		if e.Operation() != jetstream.KeyValuePut {
			value = ""
		}
		c.set(e.Key(), value)
	})
}

func (c *Config) set(key, value string) {
	c.mu.Lock()
	if value == "" {
		delete(c.values, key)
	} else {
		c.values[key] = value
	}
	subs := append([]func(string, string){}, c.subs...)
	c.mu.Unlock()
	for _, f := range subs {
		f(key, value)
	}
}

// OnChange calls f after every change of a key, with "" for a deleted key.
func (c *Config) OnChange(f func(key, value string)) {
	c.mu.Lock()
	c.subs = append(c.subs, f)
	c.mu.Unlock()
}

// Raw returns the value of exactly key, without instance or service prefix.
func (c *Config) Raw(key string) (string, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	v, ok := c.values[key]
	return v, ok
}

// Prefixed returns every key that starts with prefix, and its value.
func (c *Config) Prefixed(prefix string) map[string]string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := map[string]string{}
	for k, v := range c.values {
		if strings.HasPrefix(k, prefix) {
			out[k] = v
		}
	}
	return out
}

// String returns the value for key as seen by this instance, or def.
func (c *Config) String(key, def string) string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, k := range []string{c.instance + "." + key, c.service + "." + key} {
		if v, ok := c.values[k]; ok {
			return v
		}
	}
	return def
}

// Duration is String parsed with time.ParseDuration; a bad value gives def.
func (c *Config) Duration(key string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(c.String(key, "")); err == nil {
		return d
	}
	return def
}

// Float is String parsed as a float; a bad value gives def.
func (c *Config) Float(key string, def float64) float64 {
	if f, err := strconv.ParseFloat(c.String(key, ""), 64); err == nil {
		return f
	}
	return def
}

// Int is String parsed as an integer; a bad value gives def.
func (c *Config) Int(key string, def int) int {
	if n, err := strconv.Atoi(c.String(key, "")); err == nil {
		return n
	}
	return def
}
