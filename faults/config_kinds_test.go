package faults_test

import (
	"context"
	"sort"
	"strings"
	"sync"
	"testing"

	"lab/faults"
)

// memConfig is a fake config bucket.
type memConfig struct {
	mu   sync.Mutex
	keys map[string]string
}

func (m *memConfig) Put(_ context.Context, k, v string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.keys[k] = v
	return nil
}

func (m *memConfig) Delete(_ context.Context, k string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.keys, k)
	return nil
}

func (m *memConfig) list() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for k, v := range m.keys {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

// TestConfigKindsWriteAndRemoveTheirKeys checks the faults that the target's
// own code applies: one key per instance while in force, none after.
func TestConfigKindsWriteAndRemoveTheirKeys(t *testing.T) {
	tests := []struct {
		spec    faults.Spec
		targets []string
		want    string
	}{
		{entry(t, "name: e\nkind: http_error\nstatus: 503\ncount: 5"), []string{"payments-1", "payments-2"},
			`fault.http.payments-1.e={"status":503,"share":1,"count":5} fault.http.payments-2.e={"status":503,"share":1,"count":5}`},
		{entry(t, "name: d\nkind: http_delay\nlatency: 200ms\ntoxicity: 0.5"), []string{"catalog-1"},
			`fault.http.catalog-1.d={"delay_ms":200,"share":0.5}`},
		{entry(t, "name: r\nkind: redeliver\ntoxicity: 0.5"), []string{"payments-1"},
			`fault.consume.payments-1.r={"redeliver":0.5}`},
		{faults.Spec{Name: "s", Kind: "stall"}, []string{"notifications-1"},
			`fault.consume.notifications-1.s={"stall":true}`},
	}
	for _, tt := range tests {
		t.Run(tt.spec.Kind, func(t *testing.T) {
			cfg := &memConfig{keys: map[string]string{}}
			k, _ := faults.Lookup(tt.spec.Kind)
			undo, err := k.Apply(context.Background(), faults.Env{Config: cfg}, tt.spec, tt.targets)
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.list(); got != tt.want {
				t.Fatalf("in force:\n got %s\nwant %s", got, tt.want)
			}
			if err := undo(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := cfg.list(); got != "" {
				t.Fatalf("left after undo: %s", got)
			}
		})
	}
	k, _ := faults.Lookup("redeliver")
	if _, err := k.Apply(context.Background(), faults.Env{Config: &memConfig{keys: map[string]string{}}},
		faults.Spec{Name: "x", Kind: "redeliver"}, []string{"catalog-1"}); err == nil {
		t.Fatal("redeliver on catalog, which consumes nothing, was applied")
	}
}
