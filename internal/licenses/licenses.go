// Package licenses knows the licence of every module linked into the lab:
// a table written by `go generate` from each module's licence files, read
// by `lab version --licenses` against the binary's own build info.
//
// The lab itself is AGPL-3.0-or-later: it links k6, which is AGPL-3.0.
// Every other module's licence must be one the AGPL can combine with
// (Compatible); the package's test fails on a module the table does not
// know, on a version it was not written for, and on a licence that is not.
package licenses

//go:generate go run ./gen

import (
	_ "embed"
	"strings"
	"sync"
)

// Lab is the lab's own licence, as in LICENSE.
const Lab = "AGPL-3.0-or-later"

//go:embed licenses.txt
var table string

// Module is one linked module and its licence (an SPDX expression).
type Module struct {
	Path, Version, License string
}

// Table returns the generated table's modules, in its order (by path).
var Table = sync.OnceValue(func() []Module {
	var out []Module
	for _, l := range strings.Split(table, "\n") {
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		f := strings.SplitN(l, " ", 3)
		if len(f) != 3 {
			continue
		}
		out = append(out, Module{Path: f[0], Version: f[1], License: f[2]})
	}
	return out
})

// byModule is the table by "path@version".
var byModule = sync.OnceValue(func() map[string]string {
	m := map[string]string{}
	for _, mod := range Table() {
		m[mod.Path+"@"+mod.Version] = mod.License
	}
	return m
})

// Of returns the licence of module path at version, or "" when the table
// does not have that module at that version.
func Of(path, version string) string { return byModule()[path+"@"+version] }

// compatible are the licences whose code AGPL-3.0 code may link: the
// permissive ones, the weak copyleft ones that allow it, and the GPL family
// where "or later" reaches version 3.
var compatible = map[string]bool{
	"AGPL-3.0": true, "AGPL-3.0-only": true, "AGPL-3.0-or-later": true,
	"GPL-3.0-only": true, "GPL-3.0-or-later": true, "GPL-2.0-or-later": true,
	"LGPL-2.1-or-later": true, "LGPL-3.0-only": true, "LGPL-3.0-or-later": true,
	"Apache-2.0": true, "MPL-2.0": true, "MIT": true, "ISC": true, "Zlib": true,
	"BSD-2-Clause": true, "BSD-3-Clause": true, "Unlicense": true, "CC0-1.0": true,
	"OFL-1.1": true, "0BSD": true, "blessing": true, "CC-BY-4.0": true,
}

// Compatible reports whether code under the SPDX expression expr may be
// linked into the AGPL-3.0 lab: for "A OR B", either; for "A AND B", both.
func Compatible(expr string) bool {
	for _, alt := range strings.Split(expr, " OR ") {
		ok := alt != ""
		for _, id := range strings.Split(alt, " AND ") {
			ok = ok && compatible[strings.Trim(id, "() ")]
		}
		if ok {
			return true
		}
	}
	return false
}
