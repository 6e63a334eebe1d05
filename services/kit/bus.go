package kit

import (
	"context"
	"fmt"
	"lab/services/contract"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Heartbeat timing of the registry: an instance puts its entry every
// HeartbeatEvery; callers treat an entry older than StaleAfter as gone.
const (
	HeartbeatEvery = time.Second
	StaleAfter     = 3 * time.Second
)

// SetupBroker creates the stream and the buckets the shop needs, or updates
// them to this configuration. It is idempotent.
func SetupBroker(ctx context.Context, js jetstream.JetStream) error {
	_, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:       contract.Stream,
		Subjects:   []string{"shop.>"},
		Storage:    jetstream.FileStorage,
		Duplicates: 5 * time.Minute,
	})
	if err != nil {
		return fmt.Errorf("create stream %s: %w", contract.Stream, err)
	}
	if _, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:  contract.RegistryBucket,
		TTL:     time.Minute,
		Storage: jetstream.FileStorage, // survives a restart of the broker
	}); err != nil {
		return fmt.Errorf("create bucket %s: %w", contract.RegistryBucket, err)
	}
	if _, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:  contract.ConfigBucket,
		Storage: jetstream.FileStorage,
	}); err != nil {
		return fmt.Errorf("create bucket %s: %w", contract.ConfigBucket, err)
	}
	return nil
}

// Idempotent reports whether the shop deduplicates (the default).
func Idempotent(cfg *Config) bool {
	v, _ := cfg.Raw(contract.IdempotencyKey)
	return v != "off"
}
