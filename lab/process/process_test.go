//go:build unix

package process_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2/client"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"lab/faults"
	"lab/internal/shoptest"
	"lab/lab"
	"lab/services/contract"
)

func TestMain(m *testing.M) { shoptest.Main(m) }

func stockOf(t *testing.T, s lab.Shop, product int) map[string]float64 {
	t.Helper()
	var st map[string]float64
	addr := shoptest.Instance(t, s, "inventory-1").Addr
	if err := shoptest.GetJSON(fmt.Sprintf("http://%s/stock/%d", addr, product), &st); err != nil {
		t.Fatal(err)
	}
	return st
}

func orderStatus(t *testing.T, sh *shoptest.Shopper, id string) string {
	t.Helper()
	r, err := sh.Do(http.MethodGet, "/api/orders/"+id, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := r.Body["status"].(string)
	return st
}

// TestCheckoutIsPaidNotifiedAndSold walks the shop as a shopper does: list,
// register, log in, order two products, see the order paid, the notifications
// recorded and the stock gone down by exactly the quantities ordered.
func TestCheckoutIsPaidNotifiedAndSold(t *testing.T) {
	s := shoptest.Start(t, lab.Shape{Seed: 7})
	anon := &shoptest.Shopper{Base: s.GatewayURL()}
	r, err := anon.Do(http.MethodGet, "/api/products?size=5", nil)
	if err != nil || r.Code != http.StatusOK {
		t.Fatalf("list products: %v %+v", err, r)
	}
	if got := len(r.Body["products"].([]any)); got != 5 {
		t.Fatalf("listed %d products, want 5", got)
	}
	if r, _ := anon.Do(http.MethodPost, "/api/orders", map[string]any{"items": []any{}}); r.Code != http.StatusUnauthorized {
		t.Fatalf("checkout without token: got %d, want 401", r.Code)
	}

	sh := shoptest.MustLogin(t, s.GatewayURL(), "ada@example.com")
	before3, before5 := stockOf(t, s, 3), stockOf(t, s, 5)
	r, err = sh.Do(http.MethodPost, "/api/orders", map[string]any{"items": []map[string]int{
		{"product_id": 3, "qty": 2}, {"product_id": 5, "qty": 1}}})
	if err != nil || r.Code != http.StatusAccepted {
		t.Fatalf("checkout: %v %+v", err, r)
	}
	id := r.Body["id"].(string)
	shoptest.Eventually(t, 5*time.Second, "order "+id+" paid", func() bool { return orderStatus(t, sh, id) == "paid" })

	after3, after5 := stockOf(t, s, 3), stockOf(t, s, 5)
	if got, want := before3["available"]-after3["available"], 2.0; got != want {
		t.Errorf("product 3: available went down by %v, want %v", got, want)
	}
	if got, want := before5["available"]-after5["available"], 1.0; got != want {
		t.Errorf("product 5: available went down by %v, want %v", got, want)
	}
	shoptest.Eventually(t, 5*time.Second, "stock sold, not just reserved", func() bool {
		st := stockOf(t, s, 3)
		return st["sold"]-before3["sold"] == 2 && st["reserved"] == before3["reserved"]
	})

	var notes struct{ Notifications []struct{ Kind string } }
	addr := shoptest.Instance(t, s, "notifications-1").Addr
	shoptest.Eventually(t, 5*time.Second, "two notifications", func() bool {
		_ = shoptest.GetJSON("http://"+addr+"/admin/notifications?order_id="+id, &notes)
		return len(notes.Notifications) == 2
	})
	kinds := []string{notes.Notifications[0].Kind, notes.Notifications[1].Kind}
	if strings.Join(kinds, ",") != "OrderPlaced,PaymentSucceeded" {
		t.Errorf("notification kinds %v, want OrderPlaced then PaymentSucceeded", kinds)
	}

	// Another shopper cannot read the order.
	other := shoptest.MustLogin(t, s.GatewayURL(), "bo@example.com")
	if got := orderStatus(t, other, id); got != "" {
		t.Errorf("another shopper sees the order with status %q", got)
	}
}

// TestSyncCheckoutWithPaymentsDeadAnswersQuickly kills payments in sync mode:
// checkout must answer with a clear status within the call timeout, never
// hang, and the order must be paid once payments is back.
func TestSyncCheckoutWithPaymentsDeadAnswersQuickly(t *testing.T) {
	s := shoptest.Start(t, lab.Shape{Seed: 1, Config: map[string]string{contract.PaymentModeKey: "sync"}})
	sh := shoptest.MustLogin(t, s.GatewayURL(), "ada@example.com")
	order := map[string]any{"items": []map[string]int{{"product_id": 1, "qty": 1}}}

	r, err := sh.Do(http.MethodPost, "/api/orders", order)
	if err != nil || r.Code != http.StatusCreated || r.Body["status"] != "paid" {
		t.Fatalf("sync checkout with payments up: %v %+v, want 201 paid", err, r)
	}
	if err := s.Do(context.Background(), "payments-1", lab.Kill); err != nil {
		t.Fatal(err)
	}
	r, err = sh.Do(http.MethodPost, "/api/orders", order)
	if err != nil {
		t.Fatalf("checkout with payments dead: %v", err)
	}
	if r.Code != http.StatusAccepted || r.Body["status"] != "pending" {
		t.Fatalf("checkout with payments dead: %+v, want 202 pending", r)
	}
	if limit := 2 * time.Second; r.Took > limit {
		t.Fatalf("checkout with payments dead took %s, beyond %s", r.Took, limit)
	}
	id := r.Body["id"].(string)
	if err := s.Do(context.Background(), "payments-1", lab.Start); err != nil {
		t.Fatal(err)
	}
	shoptest.Eventually(t, 15*time.Second, "deferred payment of "+id, func() bool { return orderStatus(t, sh, id) == "paid" })
}

// TestBlackholedPaymentsTimesOut holds payments' connection open and silent:
// only the client timeout can end the call.
func TestBlackholedPaymentsTimesOut(t *testing.T) {
	s := shoptest.Start(t, lab.Shape{Seed: 1, Config: map[string]string{
		contract.PaymentModeKey: "sync", contract.ResilienceEdgeKey("orders", "payments"): `{"timeout":"300ms","retries":0}`}})
	sh := shoptest.MustLogin(t, s.GatewayURL(), "ada@example.com")
	p, err := toxiproxy.NewClient(s.ToxiproxyURL()).Proxy(lab.EdgeProxy("orders", "payments-1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.AddToxic("hole", "timeout", "downstream", 1, toxiproxy.Attributes{"timeout": 0}); err != nil {
		t.Fatal(err)
	}
	r, err := sh.Do(http.MethodPost, "/api/orders", map[string]any{"items": []map[string]int{{"product_id": 2, "qty": 1}}})
	if err != nil || r.Code != http.StatusAccepted {
		t.Fatalf("checkout into a black hole: %v %+v, want 202", err, r)
	}
	if r.Took < 300*time.Millisecond || r.Took > 2*time.Second {
		t.Fatalf("checkout took %s, want the 300ms payments timeout to end it", r.Took)
	}
}

// TestReplicasShareBrowsing runs three catalogs and checks, from each one's
// own metrics, that browsing through the gateway reached all three.
func TestReplicasShareBrowsing(t *testing.T) {
	s := shoptest.Start(t, lab.Shape{Seed: 1, Replicas: map[string]int{"catalog": 3}})
	anon := &shoptest.Shopper{Base: s.GatewayURL()}
	for i := 0; i < 30; i++ {
		if r, err := anon.Do(http.MethodGet, "/api/products", nil); err != nil || r.Code != http.StatusOK {
			t.Fatalf("browse: %v %+v", err, r)
		}
	}
	for i := 1; i <= 3; i++ {
		name := lab.InstanceName("catalog", i)
		n := scrapeCounter(t, "http://"+shoptest.Instance(t, s, name).Addr+"/metrics",
			`shop_http_requests_total{code="200"`, `route="GET /products"`)
		if n < 5 {
			t.Errorf("%s served %v listings of 30, want a fair share", name, n)
		}
	}
}

// scrapeCounter sums the samples of a metrics page whose line has every part.
func scrapeCounter(t *testing.T, url string, parts ...string) float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	total := 0.0
	for _, line := range strings.Split(string(page), "\n") {
		ok := !strings.HasPrefix(line, "#")
		for _, p := range parts {
			ok = ok && strings.Contains(line, p)
		}
		if ok {
			var v float64
			fmt.Sscan(line[strings.LastIndexByte(line, ' ')+1:], &v)
			total += v
		}
	}
	return total
}

// TestOutboxPublishesOnceAfterCrash cuts orders off the broker, takes an
// order (committed with its event in the outbox, not published), kills
// orders, reconnects the broker link and restarts orders: the event must
// then be published exactly once and the order paid.
func TestOutboxPublishesOnceAfterCrash(t *testing.T) {
	s := shoptest.Start(t, lab.Shape{Seed: 1})
	sh := shoptest.MustLogin(t, s.GatewayURL(), "ada@example.com")
	link, err := toxiproxy.NewClient(s.ToxiproxyURL()).Proxy(lab.BrokerProxy("orders"))
	if err != nil {
		t.Fatal(err)
	}
	if err := link.Disable(); err != nil {
		t.Fatal(err)
	}
	r, err := sh.Do(http.MethodPost, "/api/orders", map[string]any{"items": []map[string]int{{"product_id": 4, "qty": 1}}})
	if err != nil || r.Code != http.StatusAccepted {
		t.Fatalf("checkout with orders cut off the broker: %v %+v", err, r)
	}
	id := r.Body["id"].(string)
	if got := countEvents(t, s, contract.SubjectOrderPlaced, id); got != 0 {
		t.Fatalf("OrderPlaced published %d times while the link was down", got)
	}
	if err := s.Do(context.Background(), "orders-1", lab.Kill); err != nil {
		t.Fatal(err)
	}
	if err := link.Enable(); err != nil {
		t.Fatal(err)
	}
	if err := s.Do(context.Background(), "orders-1", lab.Start); err != nil {
		t.Fatal(err)
	}
	shoptest.Eventually(t, 15*time.Second, "order "+id+" paid after restart", func() bool {
		return orderStatus(t, sh, id) == "paid"
	})
	if got := countEvents(t, s, contract.SubjectOrderPlaced, id); got != 1 {
		t.Fatalf("OrderPlaced for %s published %d times, want exactly 1", id, got)
	}
}

func countEvents(t *testing.T, s lab.Shop, subject, order string) int {
	t.Helper()
	nc, err := nats.Connect(s.BrokerURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cons, err := js.OrderedConsumer(ctx, contract.Stream, jetstream.OrderedConsumerConfig{FilterSubjects: []string{subject}})
	if err != nil {
		t.Fatal(err)
	}
	batch, err := cons.Fetch(10000, jetstream.FetchMaxWait(300*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for msg := range batch.Messages() {
		var ev contract.Event
		if json.Unmarshal(msg.Data(), &ev) == nil && ev.OrderID == order {
			n++
		}
	}
	return n
}

// TestUnaskedExitIsReported kills an instance behind the lab's back.
func TestUnaskedExitIsReported(t *testing.T) {
	s := shoptest.Start(t, lab.Shape{Seed: 1})
	in := shoptest.Instance(t, s, "catalog-1")
	p, err := os.FindProcess(in.PID)
	if err == nil {
		err = p.Kill() // SIGKILL
	}
	if err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-s.Exits():
		if e.Instance != "catalog-1" || !strings.Contains(e.Err.Error(), "killed") || len(e.Last) == 0 {
			t.Fatalf("exit report %+v, want catalog-1 killed with its last log lines", e)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no exit reported")
	}
}

// TestCloseReleasesEverything checks that after Close no process of the shop
// runs and no port of it still accepts connections.
func TestCloseReleasesEverything(t *testing.T) {
	ctx := context.Background()
	s, err := shoptest.Runtime().Start(ctx, lab.Params{Shape: lab.Shape{Seed: 1, Replicas: map[string]int{"gateway": 2}}, Dir: t.TempDir()})
	if s != nil {
		defer s.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Do(ctx, "users-1", lab.Pause); err != nil { // a paused child must stop too
		t.Fatal(err)
	}
	var addrs []string
	var pids []int
	for _, in := range s.Instances() {
		addrs, pids = append(addrs, in.Addr), append(pids, in.PID)
	}
	for _, p := range s.Proxies() {
		addrs = append(addrs, p.Listen)
	}
	addrs = append(addrs, strings.TrimPrefix(s.GatewayURL(), "http://"), strings.TrimPrefix(s.ToxiproxyURL(), "http://"),
		strings.TrimPrefix(s.BrokerURL(), "nats://"))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, pid := range pids {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("process %d still exists after Close (%v)", pid, err)
		}
	}
	var wg sync.WaitGroup
	for _, a := range addrs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if c, err := net.DialTimeout("tcp", a, time.Second); err == nil {
				c.Close()
				t.Errorf("%s still accepts connections after Close", a)
			}
		}()
	}
	wg.Wait()
}

// BenchmarkStart measures how long the shop, one instance each, takes from
// Start to every instance ready, and then to close.
func BenchmarkStart(b *testing.B) {
	for b.Loop() {
		s, err := shoptest.Runtime().Start(context.Background(), lab.Params{Shape: lab.Shape{Seed: 1}, Dir: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		s.Close()
		b.StartTimer()
	}
}

// TestBrokerRestartKeepsTheStream kills the broker and starts it again: the
// events it held are still there, and the shop goes on paying orders.
func TestBrokerRestartKeepsTheStream(t *testing.T) {
	s := shoptest.Start(t, lab.Shape{Seed: 1})
	sh := shoptest.MustLogin(t, s.GatewayURL(), "ada@example.com")
	order := map[string]any{"items": []map[string]int{{"product_id": 6, "qty": 1}}}
	r, err := sh.Do(http.MethodPost, "/api/orders", order)
	if err != nil || r.Code != http.StatusAccepted {
		t.Fatalf("checkout: %v %+v", err, r)
	}
	first := r.Body["id"].(string)
	shoptest.Eventually(t, 5*time.Second, "first order paid", func() bool { return orderStatus(t, sh, first) == "paid" })
	if err := s.Do(context.Background(), "broker", lab.Kill); err != nil {
		t.Fatal(err)
	}
	if err := s.Do(context.Background(), "broker", lab.Start); err != nil {
		t.Fatal(err)
	}
	shoptest.Eventually(t, 10*time.Second, "the first order's event after the restart", func() bool {
		if !streamReady(s.BrokerURL()) {
			return false // Start returns once the process runs, not once JetStream has recovered
		}
		return countEvents(t, s, contract.SubjectOrderPlaced, first) == 1
	})
	r, err = sh.Do(http.MethodPost, "/api/orders", order)
	if err != nil || r.Code != http.StatusAccepted {
		t.Fatalf("checkout after the restart: %v %+v", err, r)
	}
	second := r.Body["id"].(string)
	shoptest.Eventually(t, 15*time.Second, "second order paid", func() bool { return orderStatus(t, sh, second) == "paid" })
}

// streamReady reports whether the broker answers for the shop's stream.
func streamReady(url string) bool {
	nc, err := nats.Connect(url, nats.Timeout(200*time.Millisecond))
	if err != nil {
		return false
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err = js.Stream(ctx, contract.Stream)
	return err == nil
}

// TestNoProxiesWiresCallersStraight: a shop without proxies has none, its
// gateway URL is the gateway instance itself, and a checkout still crosses
// every service (and the broker) to be paid.
func TestNoProxiesWiresCallersStraight(t *testing.T) {
	s := shoptest.Start(t, lab.Shape{Seed: 7, NoProxies: true})
	if p := s.Proxies(); len(p) != 0 {
		t.Fatalf("%d proxies, want none: %v", len(p), p)
	}
	var gw string
	for _, in := range s.Instances() {
		if in.Service == "gateway" {
			gw = "http://" + in.Addr
		}
	}
	if s.GatewayURL() != gw {
		t.Fatalf("gateway URL %s, want the gateway instance %s", s.GatewayURL(), gw)
	}
	sh := shoptest.MustLogin(t, s.GatewayURL(), "ada@example.com")
	r, err := sh.Do(http.MethodPost, "/api/orders", map[string]any{"items": []map[string]int{{"product_id": 3, "qty": 1}}})
	if err != nil || r.Code != http.StatusAccepted {
		t.Fatalf("checkout: %v %+v", err, r)
	}
	id := r.Body["id"].(string)
	shoptest.Eventually(t, 5*time.Second, "order "+id+" paid", func() bool { return orderStatus(t, sh, id) == "paid" })
	if _, err := faults.Resolve("gateway->catalog", faults.Network, lab.Shape{NoProxies: true}); err == nil ||
		!strings.Contains(err.Error(), "without proxies") {
		t.Errorf("a network fault on a shop without proxies: %v, want refused", err)
	}
}
