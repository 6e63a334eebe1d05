package kit

import (
	"context"
	"fmt"
	"sync"

	"github.com/nats-io/nats.go/jetstream"
)

// watchBucket calls apply for every entry of kv, first the current ones,
// then every change until ctx ends. It returns once the current entries are
// in, so a caller starts with a complete view.
func watchBucket(ctx context.Context, kv jetstream.KeyValue, apply func(jetstream.KeyValueEntry)) error {
	w, err := kv.WatchAll(ctx)
	if err != nil {
		return fmt.Errorf("watch bucket %s: %w", kv.Bucket(), err)
	}
	loaded := make(chan struct{})
	go func() {
		defer w.Stop()
		var once sync.Once
		for e := range w.Updates() {
			if e == nil { // the end of the current entries
				once.Do(func() { close(loaded) })
				continue
			}
			apply(e)
		}
		once.Do(func() { close(loaded) })
	}()
	select {
	case <-loaded:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
