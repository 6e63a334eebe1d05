package experiment

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"lab/faults"
	"lab/lab"
	"lab/services/contract"
)

// FaultEnv returns what faults act through on shop: its Toxiproxy API, its
// runtime for processes, and its config bucket. Call closeEnv when done.
func FaultEnv(ctx context.Context, shop lab.Shop) (env faults.Env, closeEnv func(), err error) {
	cfg, err := openConfig(ctx, shop.BrokerURL())
	if err != nil {
		return faults.Env{}, nil, err
	}
	return faultEnv(shop, cfg), cfg.Close, nil
}

func faultEnv(shop lab.Shop, cfg *config) faults.Env {
	return faults.Env{
		Proxies:   faults.ToxiproxyAPI(shop.ToxiproxyURL()),
		Processes: processes{shop: shop},
		Config:    cfg,
	}
}

// processes acts on instances through the runtime.
type processes struct{ shop lab.Shop }

func (p processes) Do(ctx context.Context, instance, action string) error {
	return p.shop.Do(ctx, instance, lab.Action(action))
}

// config writes the shop's config bucket.
type config struct {
	nc *nats.Conn
	js jetstream.JetStream
	kv jetstream.KeyValue
}

func openConfig(ctx context.Context, url string) (*config, error) {
	nc, err := nats.Connect(url, nats.Name("lab-harness"))
	if err != nil {
		return nil, fmt.Errorf("connect to broker: %w", err)
	}
	js, _ := jetstream.New(nc)
	kv, err := js.KeyValue(ctx, contract.ConfigBucket)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("bind config bucket: %w", err)
	}
	return &config{nc: nc, js: js, kv: kv}, nil
}

func (c *config) Put(ctx context.Context, key, value string) error {
	_, err := c.kv.PutString(ctx, key, value)
	return err
}

func (c *config) Delete(ctx context.Context, key string) error { return c.kv.Delete(ctx, key) }

func (c *config) Close() { c.nc.Close() }

// timeout bounds one fault action.
const actionTimeout = 10 * time.Second
