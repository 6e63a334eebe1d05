package kit

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Names on the broker. The harness creates them (SetupBroker) before any
// service starts; services only bind to them.
const (
	// Stream holds every business event of the shop, on subjects under "shop.".
	Stream = "SHOP"
	// RegistryBucket is the KV bucket in which instances announce themselves.
	RegistryBucket = "registry"
	// ConfigBucket is the KV bucket every service reads at start and watches.
	ConfigBucket = "config"
)

// Subjects of the shop's events.
const (
	SubjectOrderPlaced      = "shop.order.placed"
	SubjectPaymentRequested = "shop.payment.requested"
	SubjectPaymentSucceeded = "shop.payment.succeeded"
	SubjectPaymentFailed    = "shop.payment.failed"
)

// Event is the envelope of every message on the Stream. ID is unique per
// event and doubles as the JetStream message id, so a republished event is
// dropped by the broker's duplicate window and by consumers that remember ids.
type Event struct {
	ID      string          `json:"id"`
	Type    string          `json:"type"`
	OrderID string          `json:"order_id"`
	At      time.Time       `json:"at"`
	Data    json.RawMessage `json:"data,omitempty"`
}

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
		Name:       Stream,
		Subjects:   []string{"shop.>"},
		Storage:    jetstream.FileStorage,
		Duplicates: 5 * time.Minute,
	})
	if err != nil {
		return fmt.Errorf("create stream %s: %w", Stream, err)
	}
	if _, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:  RegistryBucket,
		TTL:     time.Minute,
		Storage: jetstream.FileStorage, // survives a restart of the broker
	}); err != nil {
		return fmt.Errorf("create bucket %s: %w", RegistryBucket, err)
	}
	if _, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:  ConfigBucket,
		Storage: jetstream.FileStorage,
	}); err != nil {
		return fmt.Errorf("create bucket %s: %w", ConfigBucket, err)
	}
	return nil
}

// IdempotencyKey turns the shop's deduplication off when set to "off": the
// control of --compare idempotency=off, so the invariant checker can be seen
// to fail.
const IdempotencyKey = "shop.idempotency"

// Idempotent reports whether the shop deduplicates (the default).
func Idempotent(cfg *Config) bool {
	v, _ := cfg.Raw(IdempotencyKey)
	return v != "off"
}
