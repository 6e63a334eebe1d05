// Package shoptest starts real shops for tests: the process runtime with the
// test binary itself as `lab serve` (see Main), on 127.0.0.1 ports picked by
// the kernel, and a shopper that drives the Gateway API over HTTP.
package shoptest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"testing"
	"time"

	"lab/internal/serve"
	"lab/lab"
	"lab/lab/process"
)

const serveEnv = "LAB_TEST_SERVE"

// ServeEnv is the environment a runtime must give the test binary for it to
// act as `lab serve`.
var ServeEnv = []string{serveEnv + "=1"}

// Main runs m, unless this process was started by a runtime as a service:
// then it serves and exits. Call it from TestMain.
func Main(m *testing.M) {
	ServeIfChild()
	os.Exit(m.Run())
}

// ServeIfChild serves and exits if this process was started by a runtime as a
// service (`serve SERVICE|broker|toxiproxy ...` with ServeEnv), and returns
// otherwise.
func ServeIfChild() {
	if os.Getenv(serveEnv) == "1" && len(os.Args) > 2 && os.Args[1] == "serve" {
		os.Exit(serve.Run(os.Args[2:]))
	}
}

// Runtime returns the process runtime running services from the test binary.
func Runtime() *process.Runtime {
	return &process.Runtime{Command: []string{os.Args[0]}, Env: ServeEnv}
}

// Start brings up a shop of shape in a temporary folder and closes it when
// the test ends.
func Start(tb testing.TB, shape lab.Shape) lab.Shop {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := Runtime().Start(ctx, lab.Params{Shape: shape, Dir: tb.TempDir()})
	if s != nil {
		tb.Cleanup(func() { s.Close() })
	}
	if err != nil {
		tb.Fatalf("start shop: %v", err)
	}
	return s
}

// Shopper drives the Gateway API as one logged-in shopper.
type Shopper struct {
	Base  string
	Token string
	HC    *http.Client
}

// Response is a decoded answer.
type Response struct {
	Code int
	Body map[string]any
	Took time.Duration
}

// Do sends a request with a JSON body (nil for none) and decodes the answer.
func (s *Shopper) Do(method, path string, body any) (Response, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.Base+path, rd)
	if err != nil {
		return Response{}, err
	}
	if s.Token != "" {
		req.Header.Set("Authorization", "Bearer "+s.Token)
	}
	hc := s.HC
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	start := time.Now()
	resp, err := hc.Do(req)
	if err != nil {
		return Response{}, err
	}
	defer resp.Body.Close()
	r := Response{Code: resp.StatusCode, Took: time.Since(start)}
	data, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(data, &r.Body)
	return r, nil
}

// MustLogin registers email and logs in, failing tb on any error.
func MustLogin(tb testing.TB, base, email string) *Shopper {
	tb.Helper()
	s := &Shopper{Base: base}
	creds := map[string]string{"email": email, "password": "secret123"}
	if r, err := s.Do(http.MethodPost, "/api/users", creds); err != nil || r.Code != http.StatusCreated {
		tb.Fatalf("register %s: %v %+v", email, err, r)
	}
	r, err := s.Do(http.MethodPost, "/api/login", creds)
	if err != nil || r.Code != http.StatusOK {
		tb.Fatalf("login %s: %v %+v", email, err, r)
	}
	s.Token, _ = r.Body["token"].(string)
	return s
}

// Eventually polls cond every 10 ms until it holds or timeout passes.
func Eventually(tb testing.TB, timeout time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("not within %s: %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// GetJSON fetches url and decodes its JSON into v.
func GetJSON(url string, v any) error {
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// Instance returns the instance called name of s.
func Instance(tb testing.TB, s lab.Shop, name string) lab.Instance {
	tb.Helper()
	for _, in := range s.Instances() {
		if in.Name == name {
			return in
		}
	}
	tb.Fatalf("no instance %s", name)
	return lab.Instance{}
}
