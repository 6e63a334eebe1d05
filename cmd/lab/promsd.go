package main

import (
	"encoding/json"
	"os"
	"path/filepath"

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
// written aside and renamed: Prometheus, which watches the file, never
// reads half of it.
func writeTargets(path string, shop lab.Shop) error {
	groups := []sdGroup{}
	if shop != nil {
		for _, in := range shop.Instances() {
			groups = append(groups, sdGroup{Targets: []string{in.Addr},
				Labels: map[string]string{"job": "lab", "lab_service": in.Service, "lab_instance": in.Name}})
		}
	}
	b, err := json.MarshalIndent(groups, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".targets-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}
