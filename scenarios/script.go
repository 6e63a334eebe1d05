package scenarios

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"lab/lab"
	"lab/load"
)

// FromScript makes the scenario `lab run my.js` runs: the script at path as
// written against the default shop, with no fault and no warmup; its
// duration comes from the script (FitScript).
func FromScript(path string, sets []string) (*Scenario, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, &Error{File: path, Msg: fmt.Sprintf("read: %v; want a k6 script", err)}
	}
	name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	src := fmt.Sprintf("# lab run %s: the script as written, the default shop, no faults\nname: %s\nsummary: The k6 script %s as written, against the default shop.\nload:\n  script: %s\n",
		path, name, filepath.Base(path), filepath.Base(path))
	return Parse(filepath.Join(filepath.Dir(path), name+".scenario.yaml"), []byte(src), sets)
}

// FitScript takes what the scenario's k6 script declares (read by
// load.Inspect) as the truth about its load: the measured duration is the
// script's length less any warmup. A duration the file gives that says
// otherwise is an error at its position, as is a fault that would not end
// within the script's load.
func (s *Scenario) FitScript(info *load.Script) error {
	l := newLocator(s.Path, s.Source)
	length := info.Length.Round(time.Second)
	if length < info.Length {
		length += time.Second
	}
	want := lab.Duration(length) - s.WarmupOrDefault()
	switch {
	case want <= 0:
		return l.at("$.warmup", "warmup: %s, but the script's load lasts %s (%s); want a shorter warmup", s.WarmupOrDefault().D(), length, info.Describe())
	case want > MaxDuration:
		return l.at("$.load.script", "load.script: the script's load lasts %s (%s); want at most %s", length, info.Describe(), MaxDuration.D())
	case s.Duration == 0:
		s.Duration = want
	case !info.Bounded && s.Duration <= want:
		// Iterations: the script may end sooner; the lab measures what ran.
	case s.Duration != want:
		return l.at("$.duration", "duration: %s, but the script's own options run its load for %s (%s); want duration: %s, or none",
			s.Duration.D(), want.D(), info.Describe(), want.D())
	}
	s.Script = info
	if errs := s.checkFaults(l); len(errs) > 0 {
		return errs[0]
	}
	return nil
}
