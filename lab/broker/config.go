package broker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"lab/services/contract"
	"lab/services/kit"
)

// WaitReady waits until the broker at url accepts clients and JetStream
// answers, polling every 10 ms until ctx ends.
func WaitReady(ctx context.Context, url string) error {
	for {
		nc, err := nats.Connect(url, nats.Timeout(200*time.Millisecond))
		if err == nil {
			js, _ := jetstream.New(nc)
			_, err = js.AccountInfo(ctx)
			nc.Close()
			if err == nil {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("broker not ready: %v: %w", err, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// WriteConfig writes values to the config bucket of the broker at url,
// creating the stream and buckets if the broker has not yet, and adds a
// fresh token secret unless values hold one.
func WriteConfig(ctx context.Context, url string, values map[string]string) error {
	return putConfig(ctx, url, values, true)
}

// PutConfig writes values to the config bucket of a shop that is up, and
// nothing else: the token secret stays.
func PutConfig(ctx context.Context, url string, values map[string]string) error {
	return putConfig(ctx, url, values, false)
}

func putConfig(ctx context.Context, url string, values map[string]string, fresh bool) error {
	nc, err := nats.Connect(url)
	if err != nil {
		return fmt.Errorf("connect to broker: %w", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("open jetstream: %w", err)
	}
	if err := kit.SetupBroker(ctx, js); err != nil { // the broker may still be creating them
		return err
	}
	kv, err := js.KeyValue(ctx, contract.ConfigBucket)
	if err != nil {
		return fmt.Errorf("bind config bucket: %w", err)
	}
	if _, ok := values[contract.AuthSecretKey]; fresh && !ok {
		secret := make([]byte, 32)
		_, _ = rand.Read(secret)
		if _, err := kv.PutString(ctx, contract.AuthSecretKey, hex.EncodeToString(secret)); err != nil {
			return fmt.Errorf("write config %s: %w", contract.AuthSecretKey, err)
		}
	}
	for k, v := range values {
		if _, err := kv.PutString(ctx, k, v); err != nil {
			return fmt.Errorf("write config %s: %w", k, err)
		}
	}
	return nil
}
