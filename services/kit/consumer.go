package kit

import (
	"context"
	"encoding/json"
	"fmt"
	"lab/services/contract"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Handler handles one event. It must be idempotent: an event is delivered at
// least once. An error makes the broker deliver the event again later.
type Handler func(ctx context.Context, ev contract.Event, subject string) error

// ConsumerAckWait is how long the broker waits for an acknowledgement before
// it delivers a message again, to this or another instance: a consumer that
// crashed mid-event is covered after this long.
const ConsumerAckWait = 5 * time.Second

// consume binds the durable consumer name (shared by every instance of a
// service, so they split the work) to subjects and handles messages until
// ctx ends.
func consume(ctx context.Context, js jetstream.JetStream, m *Metrics, log *slog.Logger, cf *faultSet[contract.ConsumeFault],
	name string, subjects []string, h Handler) (func(), error) {
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	cons, err := js.CreateOrUpdateConsumer(cctx, contract.Stream, jetstream.ConsumerConfig{
		Durable:        name,
		FilterSubjects: subjects,
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        ConsumerAckWait,
		MaxDeliver:     -1,
		MaxAckPending:  512,
		DeliverPolicy:  jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return nil, fmt.Errorf("create consumer %s: %w", name, err)
	}
	cc, err := cons.Consume(func(msg jetstream.Msg) {
		redeliver, stall := consumeFaultsInForce(cf)
		if stall { // no acknowledgement: the broker delivers it again after ConsumerAckWait
			m.consumed.WithLabelValues(name, "stalled").Inc()
			return
		}
		var ev contract.Event
		if err := json.Unmarshal(msg.Data(), &ev); err != nil {
			log.Error("drop undecodable event", "consumer", name, "err", err)
			m.consumed.WithLabelValues(name, "undecodable").Inc()
			_ = msg.Term()
			return
		}
		hctx, hcancel := context.WithTimeout(ctx, ConsumerAckWait-time.Second)
		err := h(hctx, ev, msg.Subject())
		hcancel()
		if err != nil {
			log.Warn("event handler", "consumer", name, "event", ev.ID, "type", ev.Type, "err", err)
			m.consumed.WithLabelValues(name, "retry").Inc()
			_ = msg.NakWithDelay(250 * time.Millisecond)
			return
		}
		m.consumed.WithLabelValues(name, "ok").Inc()
		if redeliver > 0 && rand.Float64() < redeliver { // handled, yet delivered again
			m.consumed.WithLabelValues(name, "redelivered").Inc()
			_ = msg.NakWithDelay(20 * time.Millisecond)
			return
		}
		_ = msg.Ack()
	})
	if err != nil {
		return nil, fmt.Errorf("consume %s: %w", name, err)
	}
	// Report the lag every second.
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				ictx, icancel := context.WithTimeout(ctx, time.Second)
				info, err := cons.Info(ictx)
				icancel()
				if err == nil {
					m.lag.WithLabelValues(name).Set(float64(info.NumPending + uint64(info.NumAckPending)))
				}
			}
		}
	}()
	return cc.Stop, nil
}

// consumeFaultsInForce sums up the consumer faults in force: the largest
// redelivery share, and whether any stalls.
func consumeFaultsInForce(set *faultSet[contract.ConsumeFault]) (redeliver float64, stall bool) {
	set.each(func(f *contract.ConsumeFault) {
		redeliver = max(redeliver, f.Redeliver)
		stall = stall || f.Stall
	})
	return redeliver, stall
}
