// Package k6main runs the embedded k6 as `lab k6 ARGS...` does, with the
// lab's output extension registered. Test binaries that stand in for lab
// call it too.
package k6main

import (
	"lab/internal/lifeline"
	"lab/load/k6out"
	"os"

	k6cmd "go.k6.io/k6/cmd"
)

// Main runs k6 with args (those after "k6"). It never returns: k6 ends the
// process with os.Exit.
func Main(args []string) {
	lifeline.Watch()
	os.Setenv("K6_NO_USAGE_REPORT", "true")
	os.Args = append([]string{"k6"}, args...)
	k6out.RegisterOutput()
	k6cmd.Execute()
}
