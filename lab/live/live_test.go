package live_test

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"lab/faults"
	"lab/internal/shoptest"
	"lab/lab"
	"lab/lab/experiment"
	"lab/lab/live"
)

func TestMain(m *testing.M) { shoptest.Main(m) }

// saveByRename writes the file as editors that save atomically do: a new
// file beside it, renamed over it.
func saveByRename(t testing.TB, path, content string) {
	t.Helper()
	tmp := path + ".swp"
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// startLive starts a shop of shape and an empty live fault set on it,
// cleared and closed when the test ends.
func startLive(tb testing.TB, shape lab.Shape) (lab.Shop, *faults.Live) {
	tb.Helper()
	s := shoptest.Start(tb, shape)
	env, closeEnv, err := experiment.FaultEnv(context.Background(), s)
	if err != nil {
		tb.Fatal(err)
	}
	set := faults.NewLive(env, shape)
	tb.Cleanup(func() {
		set.Clear(context.Background())
		closeEnv()
	})
	return s, set
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// startWatched starts a shop, a live fault set on it, and a watcher of a
// live fault file holding initial (saved by rename), all stopped when the
// test ends; it returns the file's path and the watcher's log.
func startWatched(t *testing.T, shape lab.Shape, initial string) (lab.Shop, *faults.Live, string, *syncBuf) {
	t.Helper()
	s, set := startLive(t, shape)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "faults.yaml")
	saveByRename(t, path, initial)
	log := &syncBuf{}
	w := &live.Watcher{Path: path, Shape: shape, Live: set, Log: log}
	if err := w.Load(ctx); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithCancel(ctx)
	done, err := w.Start(wctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); <-done })
	return s, set, path, log
}

// browser returns a function that browses s's catalog and says how long it took.
func browser(t *testing.T, s lab.Shop) func() time.Duration {
	hc := &http.Client{Timeout: 5 * time.Second}
	return func() time.Duration {
		start := time.Now()
		resp, err := hc.Get(s.GatewayURL() + "/api/products?size=3")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("browse: %s", resp.Status)
		}
		return time.Since(start)
	}
}

// TestEditsOfTheFileApplyLive: adding a 300 ms latency fault on catalog to
// the file makes browsing take 300 ms within a second of the save; an
// invalid edit is refused with its position and changes nothing; removing
// the fault brings the fast answers (under 250 ms) back within a second.
// Every save is by rename.
func TestEditsOfTheFileApplyLive(t *testing.T) {
	s, set, path, log := startWatched(t, lab.Shape{Seed: 1}, "faults: []\n")
	browse := browser(t, s)
	// Fast means under 250 ms: well apart from the 300 ms fault, with room
	// for a machine busy with other tests.
	if d := browse(); d > 250*time.Millisecond {
		t.Fatalf("browsing took %s before any fault", d)
	}

	saved := time.Now()
	saveByRename(t, path, "faults:\n  - name: slow-catalog\n    target: catalog\n    kind: latency\n    latency: 300ms\n")
	shoptest.Eventually(t, time.Second, "browsing slowed to 300ms after the save", func() bool { return browse() >= 300*time.Millisecond })
	t.Logf("slow within %s of the save", time.Since(saved).Round(time.Millisecond))

	// An invalid edit: refused with the file's line and column; the fault stays.
	saveByRename(t, path, "faults:\n  - name: slow-catalog\n    target: catalog\n    kind: latency\n    latency: fast\n")
	shoptest.Eventually(t, 2*time.Second, "the bad edit refused in the log", func() bool { return strings.Contains(log.String(), "refused") })
	if l := log.String(); !strings.Contains(l, "faults.yaml:5:") {
		t.Errorf("the refusal does not name the file, line 5 and the column:\n%s", l)
	}
	if d := browse(); d < 300*time.Millisecond {
		t.Fatalf("after a refused edit browsing took %s: the fault in force was dropped", d)
	}

	saveByRename(t, path, "faults: []\n")
	shoptest.Eventually(t, time.Second, "browsing fast again after the fault left the file", func() bool { return browse() < 250*time.Millisecond })
	if got := set.List(); len(got) != 0 {
		t.Fatalf("faults still in force: %+v", got)
	}
	for _, want := range []string{"on      slow-catalog: latency on catalog (from the file)", "off     slow-catalog"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("the log does not say %q:\n%s", want, log.String())
		}
	}
}

// TestAPIAddsListsAndRemoves drives the control API as lab fault does.
func TestAPIAddsListsAndRemoves(t *testing.T) {
	shape := lab.Shape{Seed: 1}
	_, set := startLive(t, shape)
	api := &live.API{Live: set, Shape: shape, Log: &syncBuf{}}
	if err := api.Start(); err != nil {
		t.Fatal(err)
	}
	defer api.Close()
	send := func(method, path, token, body string) int {
		req, _ := http.NewRequest(method, api.URL()+path, strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	post := func(body string) int { return send(http.MethodPost, "/faults", api.Token(), body) }
	// Only the owner steers: no token, or another, changes nothing.
	for _, tok := range []string{"", "0123", api.Token()[:len(api.Token())-1] + "x"} {
		if code := send(http.MethodPost, "/faults", tok, "{name: sneaky, target: payments, kind: down}"); code != http.StatusUnauthorized {
			t.Fatalf("add with token %q: %d, want 401", tok, code)
		}
		if code := send(http.MethodGet, "/faults", tok, ""); code != http.StatusUnauthorized {
			t.Fatalf("list with token %q: %d, want 401", tok, code)
		}
	}
	if l := set.List(); len(l) != 0 {
		t.Fatalf("a request without the token put faults in force: %+v", l)
	}
	if code := post("{name: boom, target: payments, kind: http_error, status: 503}"); code != http.StatusCreated {
		t.Fatalf("add: %d", code)
	}
	if code := post("{name: boom, target: payments, kind: http_error, status: 503}"); code != http.StatusConflict {
		t.Fatalf("add twice: %d, want 409", code)
	}
	if code := post("{name: bad, target: basket, kind: latency, latency: 1s}"); code != http.StatusBadRequest {
		t.Fatalf("add for an unknown service: %d, want 400", code)
	}
	if l := set.List(); len(l) != 1 || l[0].Spec.Name != "boom" || l[0].Origin != faults.FromAPI {
		t.Fatalf("in force: %+v", l)
	}
	if code := send(http.MethodDelete, "/faults/boom", "", ""); code != http.StatusUnauthorized {
		t.Fatalf("remove without the token: %d, want 401", code)
	}
	if code := send(http.MethodDelete, "/faults/boom", api.Token(), ""); code != http.StatusOK {
		t.Fatalf("remove: %d", code)
	}
	if l := set.List(); len(l) != 0 {
		t.Fatalf("still in force after rm: %+v", l)
	}
}

// TestSessionSurvivesEveryMalformedSave saves each malformed live file of
// the corpus over a file whose fault is in force: each save is refused with
// its position, the fault stays in force (browsing stays slow), and a valid
// save afterwards still applies: the watcher lives.
func TestSessionSurvivesEveryMalformedSave(t *testing.T) {
	corpus, _ := filepath.Glob("../../scenarios/testdata/live/*.yaml")
	if len(corpus) < 15 {
		t.Fatalf("corpus of %d files", len(corpus))
	}
	s, set, path, log := startWatched(t, lab.Shape{Seed: 1}, "faults:\n  - {name: slow, target: gateway->catalog, kind: latency, latency: 100ms}\n")
	before := set.List()
	browse := browser(t, s)
	for i, f := range corpus {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		saveByRename(t, path, string(data))
		shoptest.Eventually(t, 3*time.Second, "the save of "+filepath.Base(f)+" refused", func() bool {
			return strings.Count(log.String(), "refused") == i+1
		})
	}
	if got := set.List(); len(got) != 1 || got[0].Spec != before[0].Spec || !got[0].Since.Equal(before[0].Since) {
		t.Fatalf("the faults in force changed: %+v, were %+v\n%s", got, before, log.String())
	}
	if d := browse(); d < 100*time.Millisecond {
		t.Fatalf("browsing took %s after the refused saves: the 100 ms fault is gone", d)
	}
	located := 0
	for _, l := range strings.Split(log.String(), "\n") {
		if strings.Contains(l, "refused: "+path+":") {
			located++
		}
	}
	if located != len(corpus) {
		t.Errorf("%d of %d refusals name the file's line and column:\n%s", located, len(corpus), log.String())
	}
	saveByRename(t, path, "faults: []\n")
	shoptest.Eventually(t, 2*time.Second, "a valid save applied after the bad ones", func() bool { return len(set.List()) == 0 })
}
