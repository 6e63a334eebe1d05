package contract

import (
	"encoding/json"
	"time"
)

// Names on the broker. The harness creates them before any service starts;
// services only bind to them.
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
