package experiment

import (
	"fmt"
	"io"
	"strings"
	"time"

	"lab/lab"
	"lab/lab/results"
)

// UnplannedKind is the kind of a fault the lab did not inject: an instance
// that exited without the lab asking (killed from outside, its container
// removed, a crash of its own).
const UnplannedKind = "unplanned_exit"

// unplanned records the instances that exited unasked during a run as
// fault records, so that the report shows them as faults with a window
// (from the exit to the end of the load) rather than as unexplained
// figures. An instance that exits twice gets a second record, NAME#2.
type unplanned struct {
	t0   time.Time
	recs []results.FaultRecord
	seen map[string]int
}

// record notes e and says so on w (nil for nowhere) at once.
func (u *unplanned) record(e lab.Exit, w io.Writer) {
	if u.seen == nil {
		u.seen = map[string]int{}
	}
	u.seen[e.Instance]++
	name := "unplanned-" + e.Instance
	if n := u.seen[e.Instance]; n > 1 {
		name = fmt.Sprintf("%s#%d", name, n)
	}
	how := "exited"
	if e.Err != nil {
		how = e.Err.Error()
	}
	evidence := fmt.Sprintf("%s ended without the lab asking (%s)", e.Instance, how)
	if len(e.Last) > 0 {
		evidence += "; its last log line: " + e.Last[len(e.Last)-1]
	}
	u.recs = append(u.recs, results.FaultRecord{Name: name, Kind: UnplannedKind, Target: e.Instance, Targets: []string{e.Instance},
		ScheduledAt: e.At, AppliedAt: e.At, Visible: true, Evidence: evidence, Unplanned: true})
	if w != nil {
		fmt.Fprintf(w, "\n%s %s exited unasked (%s): recorded as the unplanned fault %s\n", e.At.Format("15:04:05.000"), e.Instance, how, name)
	}
}

// collect records every exit already reported on exits, without waiting.
func (u *unplanned) collect(exits <-chan lab.Exit, w io.Writer) {
	for {
		select {
		case e, ok := <-exits:
			if !ok {
				return
			}
			u.record(e, w)
		default:
			return
		}
	}
}

// note says what happened unplanned, for the verdict's reason; "" if nothing.
func (u *unplanned) note() string {
	if len(u.recs) == 0 {
		return ""
	}
	var parts []string
	for _, r := range u.recs {
		at := r.AppliedAt.Sub(u.t0).Round(100 * time.Millisecond)
		parts = append(parts, fmt.Sprintf("%s exited unasked at %s", r.Target, at))
	}
	return "; unplanned: " + strings.Join(parts, ", ") + " (not injected by the lab: the figures include it)"
}
