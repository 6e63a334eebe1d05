package lab

import (
	"fmt"
	"strings"
	"time"
)

// Duration is a time.Duration as scenario and fault files write it: "10s",
// "300ms", "1m30s".
type Duration time.Duration

// UnmarshalText reads a Go duration; a bare number is refused because its
// unit would be a guess.
func (d *Duration) UnmarshalText(b []byte) error {
	s := strings.TrimSpace(string(b))
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return fmt.Errorf("want a duration such as 10s or 300ms, got %q", s)
	}
	*d = Duration(v)
	return nil
}

// MarshalText writes the duration as time.Duration does.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }
