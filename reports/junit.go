package reports

import (
	"encoding/xml"
	"fmt"
	"io"
	"lab/lab/results"
	"os"
	"strings"
)

// junit is junit.xml: one testsuite per run, a testcase per hypothesis,
// invariant and fault visibility, failures carrying observed against expected.
type junit struct{}

type jSuite struct {
	XMLName    xml.Name    `xml:"testsuite"`
	Name       string      `xml:"name,attr"`
	Timestamp  string      `xml:"timestamp,attr"`
	Hostname   string      `xml:"hostname,attr"`
	Tests      int         `xml:"tests,attr"`
	Failures   int         `xml:"failures,attr"`
	Errors     int         `xml:"errors,attr"`
	Skipped    int         `xml:"skipped,attr"`
	Time       string      `xml:"time,attr"`
	Properties []jProperty `xml:"properties>property"`
	Cases      []jCase     `xml:"testcase"`
	SystemOut  string      `xml:"system-out"`
	SystemErr  string      `xml:"system-err"`
}

type jProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type jCase struct {
	Name      string    `xml:"name,attr"`
	Classname string    `xml:"classname,attr"`
	Time      string    `xml:"time,attr"`
	Failure   *jFailure `xml:"failure,omitempty"`
	Skipped   *jSkipped `xml:"skipped,omitempty"`
}

type jSkipped struct {
	Message string `xml:"message,attr"`
}

type jFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",chardata"`
}

func (junit) Write(w io.Writer, r *results.Result) error {
	host, _ := os.Hostname()
	if host == "" {
		host = "localhost"
	}
	s := jSuite{Name: "lab." + r.Scenario, Time: fmt.Sprintf("%.3f", r.WallS), Hostname: host,
		Timestamp: r.Started.UTC().Format("2006-01-02T15:04:05"),
		Properties: []jProperty{{"verdict", r.Verdict}, {"reason", r.Reason}, {"runtime", r.Runtime},
			{"seed", fmt.Sprint(r.Seed)}, {"measured_s", fmt.Sprintf("%.0f", r.DurationS)}}}
	if r.Compare != nil {
		s.Properties = append(s.Properties, jProperty{"compare", r.Compare.Key + "=" + r.Compare.Value},
			jProperty{"compare_summary", r.Compare.Summary})
	}
	add := func(class, name string, pass bool, msg, body string) {
		c := jCase{Name: name, Classname: "lab." + r.Scenario + "." + class, Time: "0"}
		if !pass {
			c.Failure = &jFailure{Message: msg, Type: class, Body: body}
			s.Failures++
		}
		s.Cases = append(s.Cases, c)
		s.Tests++
	}
	for _, h := range r.Hypotheses {
		add("hypothesis", h.Name, h.Pass, "expected "+h.Expect+" during "+orWhole(h.During),
			"expected: "+h.Expect+"\nobserved: "+h.Observed)
	}
	for _, th := range r.Thresholds {
		add("threshold", th.Name+" "+th.Expression, th.Pass, "k6 threshold crossed: "+th.Name+" "+th.Expression+" ("+th.Observed+")",
			"expression: "+th.Expression+"\nobserved: "+th.Observed)
	}
	for _, inv := range r.Invariants {
		add("invariant", inv.Name, inv.Pass, inv.Detail, inv.Detail)
		if inv.NotExercised {
			s.Cases[len(s.Cases)-1].Skipped = &jSkipped{Message: "not exercised: " + inv.Detail}
			s.Skipped++
		}
	}
	for _, f := range r.Faults {
		add("fault", f.Name+" was observable", f.Visible, "inconclusive: "+f.Evidence, f.Evidence)
	}
	// The blast radius and the recovery, as text a CI viewer shows beside
	// the cases.
	var out strings.Builder
	if len(r.BlastRadius) > 0 {
		out.WriteString("blast radius: each fault's window against the baseline\n")
		blastMatrix(r, blastCell, false).terminal(&out, "")
		out.WriteString("recovery: from each fault's end until back in the baseline band\n")
		blastMatrix(r, recoveryCell, true).terminal(&out, "")
	}
	s.SystemOut = out.String()
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	return enc.Encode(s)
}
