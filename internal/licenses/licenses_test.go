package licenses

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// TestEveryLinkedModuleHasACompatibleLicence asks the go command which
// modules the lab and lab-serve link on every target, and fails on one the
// table lacks, on a version the table was not written for, on a table entry
// its licence files no longer give, and on a licence the AGPL-3.0 lab may
// not link.
func TestEveryLinkedModuleHasACompatibleLicence(t *testing.T) {
	deps := linked(t)
	if len(deps) < 100 {
		t.Fatalf("%d linked modules; the lab links k6, testcontainers-go and NATS", len(deps))
	}
	table := map[string]Module{}
	for _, m := range Table() {
		table[m.Path] = m
	}
	regen := "; run go generate ./internal/licenses"
	for _, d := range deps {
		m, ok := table[d.Path]
		switch {
		case !ok:
			t.Errorf("%s %s is linked and not in the table%s", d.Path, d.Version, regen)
			continue
		case m.Version != d.Version:
			t.Errorf("%s is linked at %s, the table has %s%s", d.Path, d.Version, m.Version, regen)
		}
		if got := Detect(d.Path, d.Dir); got != m.License {
			t.Errorf("%s: its files say %q, the table %q%s", d.Path, got, m.License, regen)
		}
		switch {
		case m.License == "" || m.License == "unknown":
			t.Errorf("%s: no licence known; add a rule or a reviewed Override", d.Path)
		case m.License == NoAssertion:
			if _, ok := Overrides[d.Path]; !ok {
				t.Errorf("%s: %s without a reviewed Override", d.Path, NoAssertion)
			}
		case !Compatible(m.License):
			t.Errorf("%s: %s may not be linked into the AGPL-3.0 lab", d.Path, m.License)
		}
		delete(table, d.Path)
	}
	for p := range table {
		t.Errorf("%s is in the table and linked nowhere%s", p, regen)
	}
}

// TestOverridesAreStillNeeded: an override hides what a module's files say,
// so one whose files now name the same licence goes.
func TestOverridesAreStillNeeded(t *testing.T) {
	deps := linked(t)
	for _, d := range deps {
		o, ok := Overrides[d.Path]
		if !ok {
			continue
		}
		if o.Why == "" {
			t.Errorf("%s: an override says why", d.Path)
		}
		if files := fromFiles(d.Dir); files == o.License {
			t.Errorf("%s: its files name %s; the override is not needed", d.Path, files)
		}
	}
}

// linked asks the go command once for the whole package's tests: five
// targets' go list.
var linked = func() func(*testing.T) []Dep {
	var once sync.Once
	var deps []Dep
	var err error
	return func(t *testing.T) []Dep {
		t.Helper()
		once.Do(func() { deps, err = Linked("../..") })
		if err != nil {
			t.Fatal(err)
		}
		return deps
	}
}()

func TestClassify(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string
	}{
		{"MPL naming the GNU licences", "Mozilla Public License Version 2.0\n==================================\n... the GNU General Public License, Version 2.0, the GNU Lesser General Public License, Version 2.1, the GNU Affero General Public License, Version 3.0, or any later versions", []string{"MPL-2.0"}},
		{"AGPL", "GNU AFFERO GENERAL PUBLIC LICENSE\n   Version 3, 19 November 2007\n ... the GNU General Public License", []string{"AGPL-3.0"}},
		{"MIT and Apache in one file", "This project is covered by two different licenses: MIT and Apache.\nPermission is hereby granted, free of charge, to any person obtaining a copy of\nthis software ... Licensed under the Apache License, Version 2.0 (the \"License\")", []string{"Apache-2.0", "MIT"}},
		{"BSD-3 is not also BSD-2", "Redistribution and use in source and binary forms, with or without modification ... may be used to endorse or promote products", []string{"BSD-3-Clause"}},
		{"BSD-2", "Redistribution and use in source and binary forms, with or without modification, are permitted", []string{"BSD-2-Clause"}},
		{"the OFL is not MIT", "SIL OPEN FONT LICENSE Version 1.1 ... Permission is hereby granted, free of charge, to any person obtaining a copy of the Font Software", []string{"OFL-1.1"}},
		{"prose", "All rights reserved.", nil},
	}
	for _, tt := range tests {
		if got := Classify(tt.text); !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestCompatible(t *testing.T) {
	for expr, want := range map[string]bool{
		"MIT": true, "Apache-2.0 AND BSD-3-Clause": true, "FTL OR GPL-2.0-or-later": true,
		"GPL-2.0-only": false, "MIT AND GPL-2.0-only": false, "SSPL-1.0": false, "": false, NoAssertion: false,
	} {
		if got := Compatible(expr); got != want {
			t.Errorf("Compatible(%q) = %v, want %v", expr, got, want)
		}
	}
}

// The lab's own LICENSE is the AGPL it says it is.
func TestTheLabsLicence(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "LICENSE"))
	if err != nil {
		t.Fatal(err)
	}
	if got := Classify(string(b)); !slices.Equal(got, []string{"AGPL-3.0"}) || !strings.HasPrefix(Lab, "AGPL-3.0") {
		t.Fatalf("LICENSE is %v; the lab says %s", got, Lab)
	}
}
