package experiment

import (
	"encoding/json"
	"fmt"
	"lab/lab/results"
	"os"
	"regexp"
	"sort"
	"strconv"
)

// aggregate finds the aggregation a threshold expression reads: p(95),
// avg, rate, count, value...
var aggregate = regexp.MustCompile(`^\s*([a-z]+(?:\(\s*[0-9.]+\s*\))?)`)

// readThresholds reads every threshold from k6's summary export, sorted by
// metric and expression. crossed is k6's exit 99: when the summary has no
// failed threshold to show for it (k6 could not write one), a row says so.
func readThresholds(path string, crossed bool) []results.ThresholdResult {
	var sum struct {
		Metrics map[string]map[string]any `json:"metrics"`
	}
	data, err := os.ReadFile(path)
	if err == nil {
		err = json.Unmarshal(data, &sum)
	}
	var out []results.ThresholdResult
	failed := false
	for metric, values := range sum.Metrics {
		ths, _ := values["thresholds"].(map[string]any)
		for expr, v := range ths {
			// The summary export writes true for a threshold that failed.
			bad, _ := v.(bool)
			failed = failed || bad
			out = append(out, results.ThresholdResult{Name: metric, Expression: expr, Observed: observedFor(expr, values), Pass: !bad})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].Expression < out[j].Expression
	})
	if crossed && !failed {
		why := "k6 exited 99 (a threshold failed) and its summary shows none: see k6.log"
		if err != nil {
			why = fmt.Sprintf("k6 exited 99 (a threshold failed) and its summary could not be read (%v): see k6.log", err)
		}
		out = append(out, results.ThresholdResult{Name: "k6", Expression: "every threshold of the script", Observed: why})
	}
	return out
}

// observedFor says the value of the aggregate expr reads, from a metric's
// summary values: "p(95)=231.40".
func observedFor(expr string, values map[string]any) string {
	m := aggregate.FindStringSubmatch(expr)
	if m == nil {
		return "?"
	}
	key := regexp.MustCompile(`\s+`).ReplaceAllString(m[1], "")
	v, ok := values[key].(float64)
	if !ok && key == "rate" { // a Rate metric's share is its "value"
		v, ok = values["value"].(float64)
	}
	if !ok {
		return key + "=?"
	}
	return key + "=" + strconv.FormatFloat(v, 'f', -1, 64)
}
