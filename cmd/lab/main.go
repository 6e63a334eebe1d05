// Command lab is a chaos and load-testing lab: it brings up a whole
// e-commerce shop with a Toxiproxy proxy on every edge, drives load through
// it, injects faults, and says whether the shop held.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"lab/internal/lifeline"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// Exit codes of lab, stable for CI.
const (
	ExitOK           = 0 // everything held
	ExitFail         = 1 // the verdict is fail
	ExitBadInput     = 2 // usage or scenario file
	ExitCannotRun    = 3 // the lab could not run
	ExitInconclusive = 4 // a fault had no observable effect
	ExitInterrupted  = 130
)

// exitError carries an exit code out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func badInput(err error) error  { return &exitError{code: ExitBadInput, err: err} }
func cannotRun(err error) error { return &exitError{code: ExitCannotRun, err: err} }

func main() {
	os.Exit(Main(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// Main runs lab with args and returns its exit code. SIGINT and SIGTERM
// cancel the context the command runs in.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	lifeline.Watch() // a child (lab serve, lab k6) ends with the lab that started it
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) && ee.code == ExitCannotRun && ctx.Err() != nil {
		// What failed because SIGINT or SIGTERM cancelled it was interrupted.
		err = &exitError{code: ExitInterrupted, err: fmt.Errorf("interrupted: %w", ee.err)}
	}
	fmt.Fprintln(stderr, "lab:", err)
	if errors.As(err, &ee) {
		return ee.code
	}
	// Errors from cobra itself are about usage.
	return ExitBadInput
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "lab",
		Short:         "A chaos and load-testing lab for a microservice shop",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(newRun(), newList(), newExplain(), newUp(), newServe(), newVersion(), newK6(), newClean(), newReport(), newDiff(), newFault(), newWatch(), newBench(), newSoak(), newCheck(), newInit(), newSchema(), newExplore())
	completeFlags(root)
	return root
}
