package experiment

import (
	"context"
	"fmt"
	"sync"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2/client"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"lab/faults"
	"lab/lab"
	"lab/services/kit"
)

// proxies drives Toxiproxy through its HTTP API, as any of its clients would.
type proxies struct {
	c  *toxiproxy.Client
	mu sync.Mutex
	by map[string]*toxiproxy.Proxy
}

var _ faults.Proxies = (*proxies)(nil)

func (p *proxies) get(name string) (*toxiproxy.Proxy, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if px, ok := p.by[name]; ok {
		return px, nil
	}
	px, err := p.c.Proxy(name)
	if err != nil {
		return nil, err
	}
	p.by[name] = px
	return px, nil
}

func (p *proxies) AddToxic(proxy, name, typ, stream string, toxicity float64, attrs map[string]any) error {
	px, err := p.get(proxy)
	if err != nil {
		return err
	}
	_, err = px.AddToxic(name, typ, stream, float32(toxicity), toxiproxy.Attributes(attrs))
	return err
}

func (p *proxies) RemoveToxic(proxy, name string) error {
	px, err := p.get(proxy)
	if err != nil {
		return err
	}
	return px.RemoveToxic(name)
}

func (p *proxies) SetEnabled(proxy string, enabled bool) error {
	px, err := p.get(proxy)
	if err != nil {
		return err
	}
	if enabled {
		return px.Enable()
	}
	return px.Disable()
}

// processes acts on instances through the runtime.
type processes struct{ shop lab.Shop }

func (p processes) Do(ctx context.Context, instance, action string) error {
	return p.shop.Do(ctx, instance, lab.Action(action))
}

// config writes the shop's config bucket.
type config struct {
	nc *nats.Conn
	kv jetstream.KeyValue
}

func openConfig(ctx context.Context, url string) (*config, error) {
	nc, err := nats.Connect(url, nats.Name("lab-harness"))
	if err != nil {
		return nil, fmt.Errorf("connect to broker: %w", err)
	}
	js, _ := jetstream.New(nc)
	kv, err := js.KeyValue(ctx, kit.ConfigBucket)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("bind config bucket: %w", err)
	}
	return &config{nc: nc, kv: kv}, nil
}

func (c *config) Put(ctx context.Context, key, value string) error {
	_, err := c.kv.PutString(ctx, key, value)
	return err
}

func (c *config) Delete(ctx context.Context, key string) error { return c.kv.Delete(ctx, key) }

func (c *config) Close() { c.nc.Close() }

// timeout bounds one fault action.
const actionTimeout = 10 * time.Second
