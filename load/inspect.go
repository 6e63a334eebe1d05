package load

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Script is what a user's k6 script declares about its own load, as k6
// reads its options (`k6 inspect --execution-requirements`).
type Script struct {
	Path      string
	Scenarios []ScriptScenario
	// Length is how long the load runs as declared: the latest end of a
	// scenario (its start time plus its duration or stages), without
	// graceful stops. For a scenario of iterations it is the most it may
	// take (maxDuration); Bounded says whether every scenario ends by time.
	Length  time.Duration
	Bounded bool
	// MaxVUs is the most virtual users k6 may use.
	MaxVUs int
}

// ScriptScenario is one scenario of a script.
type ScriptScenario struct {
	Name       string
	Executor   string
	VUs        int
	Rate       int
	TimeUnit   string
	Iterations int
	StartTime  time.Duration
	Duration   time.Duration // the stages' sum for the ramping executors
	Stages     int
	Bounded    bool // ends by time, not by iterations
}

// inspected is the part of k6's options the lab reads.
type inspected struct {
	Scenarios map[string]struct {
		Executor        string `json:"executor"`
		StartTime       string `json:"startTime"`
		VUs             int    `json:"vus"`
		StartVUs        int    `json:"startVUs"`
		Rate            int    `json:"rate"`
		StartRate       int    `json:"startRate"`
		TimeUnit        string `json:"timeUnit"`
		Duration        string `json:"duration"`
		MaxDuration     string `json:"maxDuration"`
		Iterations      int    `json:"iterations"`
		PreAllocatedVUs int    `json:"preAllocatedVUs"`
		MaxVUs          int    `json:"maxVUs"`
		Stages          []struct {
			Duration string `json:"duration"`
			Target   int    `json:"target"`
		} `json:"stages"`
	} `json:"scenarios"`
	MaxVUs int `json:"maxVUs"`
}

// logMsg finds the message of one of k6's log lines.
var logMsg = regexp.MustCompile(`msg="((?:[^"\\]|\\.)*)"`)

// Inspect reads the options of the k6 script at path with `lab k6 inspect`
// (command runs the lab binary), with baseURL as the script's BASE_URL. An
// error carries k6's own message about the script.
func Inspect(ctx context.Context, command []string, path, baseURL string) (*Script, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	args := append(append([]string{}, command[1:]...), "k6", "inspect", "--execution-requirements", abs)
	cmd := exec.CommandContext(ctx, command[0], args...)
	cmd.Dir = filepath.Dir(abs)
	cmd.Env = append(cmd.Environ(), "K6_NO_USAGE_REPORT=true", "BASE_URL="+baseURL)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if m := logMsg.FindStringSubmatch(msg); m != nil { // k6 logs: time=... level=error msg="..."
			if u, uerr := strconv.Unquote(`"` + m[1] + `"`); uerr == nil {
				msg = u
			}
		}
		if msg == "" {
			msg = err.Error()
		}
		return nil, fmt.Errorf("k6 cannot read the script: %s", strings.TrimSpace(lastLines(msg, 4)))
	}
	var in inspected
	if err := json.Unmarshal(stdout.Bytes(), &in); err != nil {
		return nil, fmt.Errorf("read k6's options of %s: %w", path, err)
	}
	return parseInspected(path, in)
}

func parseInspected(path string, in inspected) (*Script, error) {
	s := &Script{Path: path, MaxVUs: in.MaxVUs, Bounded: true}
	dur := func(v string) (time.Duration, error) {
		if v == "" {
			return 0, nil
		}
		return time.ParseDuration(v)
	}
	for name, sc := range in.Scenarios {
		start, err := dur(sc.StartTime)
		if err != nil {
			return nil, fmt.Errorf("%s: scenario %s: startTime %q: %w", path, name, sc.StartTime, err)
		}
		ss := ScriptScenario{Name: name, Executor: sc.Executor, StartTime: start, Iterations: sc.Iterations,
			TimeUnit: sc.TimeUnit, Stages: len(sc.Stages), Bounded: true}
		switch sc.Executor {
		case "constant-vus", "externally-controlled":
			ss.VUs = sc.VUs
			ss.Duration, err = dur(sc.Duration)
		case "ramping-vus", "ramping-arrival-rate":
			ss.VUs, ss.Rate = max(sc.StartVUs, sc.MaxVUs, sc.PreAllocatedVUs), sc.StartRate
			for _, st := range sc.Stages {
				d, derr := dur(st.Duration)
				if derr != nil {
					err = derr
				}
				ss.Duration += d
				if sc.Executor == "ramping-vus" {
					ss.VUs = max(ss.VUs, st.Target)
				} else {
					ss.Rate = max(ss.Rate, st.Target)
				}
			}
		case "constant-arrival-rate":
			ss.Rate, ss.VUs = sc.Rate, max(sc.PreAllocatedVUs, sc.MaxVUs)
			ss.Duration, err = dur(sc.Duration)
		default: // per-vu-iterations, shared-iterations: they end when their iterations are done
			ss.VUs, ss.Bounded = max(sc.VUs, 1), false
			ss.Duration, err = dur(sc.MaxDuration)
			if ss.Duration == 0 {
				ss.Duration = 10 * time.Minute // k6's default maxDuration
			}
		}
		if err != nil {
			return nil, fmt.Errorf("%s: scenario %s: %w", path, name, err)
		}
		s.Scenarios = append(s.Scenarios, ss)
		s.Length = max(s.Length, ss.StartTime+ss.Duration)
		s.Bounded = s.Bounded && ss.Bounded
	}
	sort.Slice(s.Scenarios, func(i, j int) bool { return s.Scenarios[i].Name < s.Scenarios[j].Name })
	if len(s.Scenarios) == 0 {
		return nil, fmt.Errorf("%s: k6 found no scenario in its options", path)
	}
	return s, nil
}

// Describe says what the script declares, as a person would: "my.js: 5
// VUs for 10s (constant-vus)".
func (s *Script) Describe() string {
	var parts []string
	for _, sc := range s.Scenarios {
		var what string
		switch {
		case sc.Executor == "constant-arrival-rate":
			what = fmt.Sprintf("%d iterations/%s for %s", sc.Rate, orSecond(sc.TimeUnit), sc.Duration)
		case sc.Executor == "ramping-arrival-rate":
			what = fmt.Sprintf("up to %d iterations/%s over %d stages, %s", sc.Rate, orSecond(sc.TimeUnit), sc.Stages, sc.Duration)
		case sc.Executor == "ramping-vus":
			what = fmt.Sprintf("up to %d VUs over %d stages, %s", sc.VUs, sc.Stages, sc.Duration)
		case !sc.Bounded:
			what = fmt.Sprintf("%d iterations on %d VUs, at most %s", sc.Iterations, sc.VUs, sc.Duration)
		default:
			what = fmt.Sprintf("%d VUs for %s", sc.VUs, sc.Duration)
		}
		if sc.StartTime > 0 {
			what += fmt.Sprintf(" from %s", sc.StartTime)
		}
		if len(s.Scenarios) > 1 || sc.Name != "default" {
			what = sc.Name + ": " + what
		}
		parts = append(parts, what+" ("+sc.Executor+")")
	}
	return filepath.Base(s.Path) + ": " + strings.Join(parts, "; ")
}

func orSecond(unit string) string {
	if unit == "" {
		return "s"
	}
	return strings.TrimPrefix(unit, "1")
}
