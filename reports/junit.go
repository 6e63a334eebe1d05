package reports

import (
	"encoding/xml"
	"fmt"
	"io"

	"lab/lab/experiment"
)

// junit is junit.xml: one testsuite per run, a testcase per hypothesis,
// invariant and fault visibility, failures carrying observed against expected.
type junit struct{}

type jSuite struct {
	XMLName  xml.Name `xml:"testsuite"`
	Name     string   `xml:"name,attr"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Errors   int      `xml:"errors,attr"`
	Time     string   `xml:"time,attr"`
	Cases    []jCase  `xml:"testcase"`
}

type jCase struct {
	Name      string    `xml:"name,attr"`
	Classname string    `xml:"classname,attr"`
	Failure   *jFailure `xml:"failure,omitempty"`
}

type jFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",chardata"`
}

func (junit) Write(w io.Writer, r *experiment.Result) error {
	s := jSuite{Name: "lab." + r.Scenario, Time: fmt.Sprintf("%.3f", r.WallS)}
	add := func(class, name string, pass bool, msg, body string) {
		c := jCase{Name: name, Classname: "lab." + r.Scenario + "." + class}
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
	for _, inv := range r.Invariants {
		add("invariant", inv.Name, inv.Pass, inv.Detail, inv.Detail)
	}
	for _, f := range r.Faults {
		add("fault", f.Name+" was observable", f.Visible, "inconclusive: "+f.Evidence, f.Evidence)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	return enc.Encode(s)
}
