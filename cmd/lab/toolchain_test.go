package main

import (
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"lab/internal/testtool"
)

// TestStockToxiproxyCLI drives `lab up`'s proxies with Toxiproxy's own
// toxiproxy-cli, built from the pinned Toxiproxy module: it lists the
// proxies, a latency toxic it adds to the gateway's front proxy slows a
// request by that much, and removing it makes the request fast again.
func TestStockToxiproxyCLI(t *testing.T) {
	v, err := exec.Command("go", "list", "-m", "-f", "{{.Version}}", "github.com/Shopify/toxiproxy/v2").Output()
	if err != nil {
		t.Fatalf("go list -m: %v", err) // the version the lab pins
	}
	cli := testtool.GoInstall(t, "github.com/Shopify/toxiproxy/v2/cmd/cli", strings.TrimSpace(string(v)), "cli")
	up := startUp(t, "process")
	if up.toxiproxy == "" {
		t.Fatal("lab up printed no toxiproxy: line")
	}
	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(cli, append([]string{"--host", up.toxiproxy}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("toxiproxy-cli %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	const front = "load->gateway-1" // every request of the load comes through it
	list := run("list")
	for _, p := range []string{front, "gateway->catalog-1", "orders->payments-1", "orders.broker"} {
		if !strings.Contains(list, p) {
			t.Fatalf("toxiproxy-cli list does not show %s:\n%s", p, list)
		}
	}
	get := func() time.Duration {
		t.Helper()
		began := time.Now()
		resp, err := http.Get(up.gateway + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return time.Since(began)
	}
	if d := get(); d > 250*time.Millisecond {
		t.Fatalf("a request took %s before any toxic", d)
	}
	run("toxic", "add", "--toxicName", "slow", "--type", "latency", "--attribute", "latency=300", front)
	if inspect := run("inspect", front); !strings.Contains(inspect, "slow") {
		t.Fatalf("toxiproxy-cli inspect does not show the toxic:\n%s", inspect)
	}
	if d := get(); d < 300*time.Millisecond {
		t.Fatalf("with a 300 ms latency toxic on %s a request took %s", front, d)
	}
	run("toxic", "remove", "--toxicName", "slow", front)
	if d := get(); d > 250*time.Millisecond {
		t.Fatalf("after the toxic was removed a request took %s", d)
	}
}
