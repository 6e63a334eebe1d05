package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"lab/load"
	"lab/scenarios"
)

// openScenario opens what `lab run ARG` names: a built-in scenario, a
// scenario file, or a bare k6 script (ARG ends in .js), with sets applied.
// A scenario whose load is a script has the script's own options read from
// k6 (its scenarios, VUs, rates, durations) and fitted (FitScript): the
// errors of both name the file and, where there is one, the position.
func openScenario(ctx context.Context, arg string, sets []string) (*scenarios.Scenario, error) {
	var sc *scenarios.Scenario
	var err error
	if strings.HasSuffix(arg, ".js") {
		sc, err = scenarios.FromScript(arg, sets)
	} else {
		sc, err = scenarios.Open(arg, sets)
	}
	if err != nil || sc.Load.Script == "" {
		return sc, err
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find the lab binary: %w", err)
	}
	info, err := load.Inspect(ctx, []string{exe}, sc.ScriptPath(), "http://127.0.0.1:0")
	if err != nil {
		return nil, &scenarios.Error{File: sc.ScriptPath(), Msg: err.Error()}
	}
	if err := sc.FitScript(info); err != nil {
		return nil, err
	}
	return sc, nil
}
