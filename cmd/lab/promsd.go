package main

import (
	"encoding/json"
	"io"

	"lab/internal/atomicfile"
	"lab/lab"
)

// sdGroup is one group of a Prometheus file_sd targets file.
type sdGroup struct {
	Targets []string          `json:"targets"`
	Labels  map[string]string `json:"labels"`
}

// writeTargets writes a Prometheus file_sd file naming every instance's
// /metrics (one group per instance, labelled with its service and name), so
// a Prometheus the user runs scrapes the shop `lab up` brought up. It is
// written whole or not at all: Prometheus watches the file.
func writeTargets(path string, shop lab.Shop) error {
	groups := []sdGroup{}
	if shop != nil {
		for _, in := range shop.Instances() {
			groups = append(groups, sdGroup{Targets: []string{in.Addr},
				Labels: map[string]string{"job": "lab", "lab_service": in.Service, "lab_instance": in.Name}})
		}
	}
	return atomicfile.Write(path, 0o644, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(groups)
	})
}
