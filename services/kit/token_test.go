package kit_test

import (
	"errors"
	"testing"
	"time"

	"lab/services/kit"
)

func TestVerifyToken(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	secret := []byte("s3cret")
	good := kit.SignToken(secret, kit.Claims{Subject: "usr_1", Expires: now.Unix() + 60})
	tests := []struct {
		name   string
		secret []byte
		token  string
		at     time.Time
		ok     bool
	}{
		{"valid", secret, good, now, true},
		{"expired", secret, good, now.Add(time.Minute), false},
		{"other secret", []byte("other"), good, now, false},
		{"tampered payload", secret, "x" + good[1:], now, false},
		{"no signature", secret, "abc", now, false},
		{"empty secret", nil, good, now, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := kit.VerifyToken(tt.secret, tt.token, tt.at)
			if tt.ok && (err != nil || c.Subject != "usr_1") {
				t.Fatalf("got %+v, %v; want usr_1", c, err)
			}
			if !tt.ok && !errors.Is(err, kit.ErrBadToken) {
				t.Fatalf("got %v, want ErrBadToken", err)
			}
		})
	}
}
