package faults

import (
	"sync"

	toxiproxy "github.com/Shopify/toxiproxy/v2/client"
)

// ToxiproxyAPI returns Proxies that drive the Toxiproxy HTTP API at url with
// Toxiproxy's own Go client, as any of its users would: the embedded server
// and a Toxiproxy container are driven the same way.
func ToxiproxyAPI(url string) Proxies {
	return &toxiproxyAPI{c: toxiproxy.NewClient(url), by: map[string]*toxiproxy.Proxy{}}
}

type toxiproxyAPI struct {
	c  *toxiproxy.Client
	mu sync.Mutex
	by map[string]*toxiproxy.Proxy
}

func (p *toxiproxyAPI) get(name string) (*toxiproxy.Proxy, error) {
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

func (p *toxiproxyAPI) AddToxic(proxy, name, typ, stream string, toxicity float64, attrs map[string]any) error {
	px, err := p.get(proxy)
	if err != nil {
		return err
	}
	_, err = px.AddToxic(name, typ, stream, float32(toxicity), toxiproxy.Attributes(attrs))
	return err
}

func (p *toxiproxyAPI) RemoveToxic(proxy, name string) error {
	px, err := p.get(proxy)
	if err != nil {
		return err
	}
	return px.RemoveToxic(name)
}

func (p *toxiproxyAPI) SetEnabled(proxy string, enabled bool) error {
	px, err := p.get(proxy)
	if err != nil {
		return err
	}
	if enabled {
		return px.Enable()
	}
	return px.Disable()
}
