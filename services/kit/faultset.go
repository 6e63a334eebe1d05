package kit

import (
	"encoding/json"
	"strings"
	"sync"
)

// faultSet holds the faults of one kind in force on one instance: every
// config key under prefix, decoded into a T when the key changes. A request
// or an event reads the set without scanning the config or decoding JSON.
type faultSet[T any] struct {
	prefix string
	mu     sync.RWMutex
	active map[string]*T
}

func newFaultSet[T any](cfg *Config, prefix string) *faultSet[T] {
	s := &faultSet[T]{prefix: prefix, active: map[string]*T{}}
	cfg.OnChange(func(k, v string) {
		if strings.HasPrefix(k, prefix) {
			s.set(k, v)
		}
	})
	for k, v := range cfg.Prefixed(prefix) {
		s.set(k, v)
	}
	return s
}

func (s *faultSet[T]) set(key, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := new(T)
	if value == "" || json.Unmarshal([]byte(value), f) != nil {
		delete(s.active, key)
		return
	}
	s.active[key] = f
}

// each calls fn for every fault in force, under the set's read lock.
func (s *faultSet[T]) each(fn func(*T)) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, f := range s.active {
		fn(f)
	}
}
