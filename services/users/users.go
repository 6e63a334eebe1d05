// Package users registers shoppers and logs them in, issuing signed tokens
// that the gateway verifies on its own (kit.VerifyToken).
//
// Routes:
//
//	POST /users   {"email":..,"password":..}  201 {"id":..,"email":..}, 409 taken
//	POST /login   {"email":..,"password":..}  200 {"token":..,"user_id":..}, 401
package users

import (
	"context"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"errors"
	"net/http"
	"strings"
	"time"

	"lab/services/contract"
	"lab/services/kit"
)

const schema = `
CREATE TABLE IF NOT EXISTS users (
  id         TEXT PRIMARY KEY,
  email      TEXT NOT NULL UNIQUE,
  salt       BLOB NOT NULL,
  hash       BLOB NOT NULL,
  created_at TEXT NOT NULL
);`

// TokenTTL is how long a token is valid.
const TokenTTL = 24 * time.Hour

// hashIterations keeps a login cheap enough for load tests (about 0.2 ms)
// while still being a real key derivation, not a plain hash.
const hashIterations = 1000

// Service returns the users service.
func Service() kit.Service {
	return kit.Service{Name: "users", Schema: schema, Setup: setup}
}

type credentials struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

func setup(_ context.Context, in *kit.Instance) error {
	in.Mux.HandleFunc("POST /users", func(w http.ResponseWriter, r *http.Request) { register(w, r, in.DB) })
	in.Mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) { login(w, r, in) })
	return nil
}

func hash(password string, salt []byte) []byte {
	h, _ := pbkdf2.Key(sha256.New, password, salt, hashIterations, 32)
	return h
}

func register(w http.ResponseWriter, r *http.Request, db *sql.DB) {
	var c credentials
	if !kit.ReadJSON(w, r, &c) {
		return
	}
	c.Email = strings.ToLower(strings.TrimSpace(c.Email))
	if !strings.Contains(c.Email, "@") || len(c.Password) < 6 {
		kit.WriteError(w, http.StatusBadRequest, "an email and a password of at least 6 characters are required")
		return
	}
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	id := kit.NewID("usr_")
	_, err := db.ExecContext(r.Context(), `INSERT INTO users(id, email, salt, hash, created_at) VALUES(?,?,?,?,?)`,
		id, c.Email, salt, hash(c.Password, salt), time.Now().UTC().Format(time.RFC3339))
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE") {
			kit.WriteError(w, http.StatusConflict, "email already registered")
			return
		}
		kit.WriteError(w, http.StatusInternalServerError, err.Error())
		return
	}
	kit.WriteJSON(w, http.StatusCreated, map[string]string{"id": id, "email": c.Email})
}

func login(w http.ResponseWriter, r *http.Request, in *kit.Instance) {
	var c credentials
	if !kit.ReadJSON(w, r, &c) {
		return
	}
	var id string
	var salt, want []byte
	err := in.DB.QueryRowContext(r.Context(), `SELECT id, salt, hash FROM users WHERE email=?`,
		strings.ToLower(strings.TrimSpace(c.Email))).Scan(&id, &salt, &want)
	if errors.Is(err, sql.ErrNoRows) {
		kit.WriteError(w, http.StatusUnauthorized, "unknown email or wrong password")
		return
	}
	if err != nil {
		kit.WriteError(w, http.StatusInternalServerError, err.Error())
		return
	}
	if subtle.ConstantTimeCompare(hash(c.Password, salt), want) != 1 {
		kit.WriteError(w, http.StatusUnauthorized, "unknown email or wrong password")
		return
	}
	secret, _ := in.Config.Raw(contract.AuthSecretKey)
	if secret == "" {
		kit.WriteError(w, http.StatusServiceUnavailable, "no signing secret configured")
		return
	}
	token := kit.SignToken([]byte(secret), kit.Claims{Subject: id, Expires: time.Now().Add(TokenTTL).Unix()})
	kit.WriteJSON(w, http.StatusOK, map[string]string{"token": token, "user_id": id})
}
