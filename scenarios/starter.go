package scenarios

import "fmt"

// Starter is the scenario `lab init NAME` writes: every section explained,
// valid as written (the parser and the scenario schema accept it, in the
// tests), its hypotheses true of the default shop.
func Starter(name string) []byte { return []byte(fmt.Sprintf(starter, name)) }

// starter's %[1]s is the scenario's name.
const starter = `# %[1]s: a scenario of the lab. Run it with: lab run %[1]s.yaml
# Check it without running anything: lab check %[1]s.yaml
# Built-in scenarios to copy from: lab list; lab explain NAME --yaml
name: %[1]s
summary: Catalog answers 300 ms slower for 8 s while shoppers browse and buy.
# teaches, watch and try are what lab explain prints: say what the class should learn.
teaches: |
  What a slow dependency does to the services that call it.
watch: |
  browse and checkout p95 during catalog-slow: both wait on catalog, and checkout calls it
  more than once.
try: lab run %[1]s.yaml --compare resilience=none   # the same run without timeouts or breakers
seed: 1            # the seed of the data and the load: same seed, same run
duration: 24s      # the measured load, after a 2s warmup (warmup: 0s to skip it)
shop:
  payment_mode: sync        # sync: orders calls payments; async: through the broker
  replicas:                 # instances per service (default 1 each)
    catalog: 2
  # config:                 # values for the config bucket, read live by the services
  #   gateway.max_concurrency: 12
resilience:
  preset: default           # default or none: the timeouts, retries and breakers on every edge
  # edges:
  #   gateway->catalog: {timeout: 200ms, retries: 1}
load:
  journey: shopper          # shopper, browser or checkout-burst; or script: my.js (your k6 script)
  rate: 30                  # iterations started per second
  checkout_share: 0.3       # the share of shoppers who check out
faults:                     # the timeline; lab fault add ... adds one to a running lab up
  - name: catalog-slow
    at: 8s                  # after the warmup
    for: 8s
    target: catalog         # a service, an instance (catalog-2), an edge (gateway->catalog), broker
    kind: latency           # latency, down, reset, http_error, kill, pause, ... (lab fault add <TAB>)
    latency: 300ms
hypotheses:                 # what must hold; the verdict is pass when every one does
  - name: browsing holds
    during: catalog-slow    # a phase: baseline, a fault's name, recovery; or the whole run
    expect: browse.success_rate >= 0.99
  - name: checkout still succeeds, slower      # checkout prices its items at catalog
    during: catalog-slow
    expect: checkout.success_rate >= 0.99 && checkout.p95 > 300ms
  - name: browsing recovers
    expect: recovery_time("catalog-slow", "browse") < 5s
`
