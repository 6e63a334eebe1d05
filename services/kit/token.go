package kit

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// Claims are what a token says.
type Claims struct {
	Subject string `json:"sub"`
	Expires int64  `json:"exp"` // Unix seconds
}

// ErrBadToken is returned by VerifyToken for a token that is malformed,
// wrongly signed or expired.
var ErrBadToken = errors.New("kit: bad token")

// SignToken returns "payload.signature", both base64url, HMAC-SHA256 signed.
func SignToken(secret []byte, c Claims) string {
	payload, _ := json.Marshal(c)
	p := base64.RawURLEncoding.EncodeToString(payload)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(p))
	return p + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// VerifyToken checks token's signature and expiry at now and returns its claims.
func VerifyToken(secret []byte, token string, now time.Time) (Claims, error) {
	p, sig, ok := strings.Cut(token, ".")
	if !ok || len(secret) == 0 {
		return Claims{}, ErrBadToken
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(p))
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, mac.Sum(nil)) {
		return Claims{}, ErrBadToken
	}
	payload, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil {
		return Claims{}, ErrBadToken
	}
	var c Claims
	if json.Unmarshal(payload, &c) != nil || c.Subject == "" || now.Unix() >= c.Expires {
		return Claims{}, ErrBadToken
	}
	return c, nil
}
