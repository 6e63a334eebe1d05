// Command lab-serve is the shop alone: the broker, Toxiproxy and the seven
// services, what every child of a runtime runs (`lab-serve serve NAME ...`,
// the same arguments as `lab serve`). It links none of the harness (no k6,
// no testcontainers, no reports), so a child starts in a few milliseconds;
// `make build` compresses it into the lab binary (internal/servebin), which
// writes it to the user's cache folder at first use.
package main

import (
	"fmt"
	"os"

	"lab/internal/serve"
)

func main() {
	if len(os.Args) < 3 || os.Args[1] != "serve" {
		fmt.Fprintln(os.Stderr, "usage: lab-serve serve SERVICE|broker|toxiproxy [flags] (the lab starts it; see lab serve --help)")
		os.Exit(2)
	}
	os.Exit(serve.Run(os.Args[2:]))
}
