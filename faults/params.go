package faults

import (
	"errors"
	"fmt"
)

// Share is the share of connections or requests a fault affects
// (toxicity), 1 when unset.
type Share struct {
	Toxicity *float64 `yaml:"toxicity" json:"toxicity,omitempty"`
}

// Of returns the share, 1 when unset.
func (s Share) Of() float64 {
	if s.Toxicity == nil {
		return 1
	}
	return *s.Toxicity
}

func (s Share) check() error {
	if t := s.Of(); t < 0 || t > 1 {
		return fmt.Errorf("toxicity: want a share from 0 to 1, got %g", t)
	}
	return nil
}

// Toxic are what every toxic on a proxy takes: the share of connections,
// and which way the data it slows or cuts flows.
type Toxic struct {
	Share     `yaml:",inline"`
	Direction string `yaml:"direction" json:"direction,omitempty"` // downstream (default), upstream, both
}

func (t Toxic) check() error {
	if _, err := streams(t.Direction); err != nil {
		return err
	}
	return t.Share.check()
}

// Requests are what every fault in a service's HTTP middleware takes: the
// share of requests, or only the next Count.
type Requests struct {
	Share `yaml:",inline"`
	Count int `yaml:"count" json:"count,omitempty"`
}

func (r Requests) check() error {
	if err := r.Share.check(); err != nil {
		return err
	}
	if r.Count < 0 {
		return errors.New("count: want a number of requests from 1 up")
	}
	return nil
}

// None are the parameters of a kind that takes none.
type None struct{}

// Check has nothing to check.
func (*None) Check() error { return nil }
