package experiment

import (
	"encoding/json"
	"fmt"
	"lab/lab/results"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// aggregate finds the aggregation a threshold expression reads: p(95),
// avg, rate, count, value...
var aggregate = regexp.MustCompile(`^\s*([a-z]+(?:\(\s*[0-9.]+\s*\))?)`)

// readThresholds reads every threshold from k6's summary exports, one per
// generator, sorted by metric and expression. With several generators each
// k6 judged its own execution segment, so a threshold passes only if it
// passed in every one, and the row gives each one's value. crossed is k6's
// exit 99: when no summary has a failed threshold to show for it (k6 could
// not write one), a row says so.
func readThresholds(paths []string, crossed bool) []results.ThresholdResult {
	type key struct{ metric, expr string }
	rows := map[key]*results.ThresholdResult{}
	observed := map[key][]string{}
	failed := false
	var readErr error
	for i, path := range paths {
		var sum struct {
			Metrics map[string]map[string]any `json:"metrics"`
		}
		data, err := os.ReadFile(path)
		if err == nil {
			err = json.Unmarshal(data, &sum)
		}
		if err != nil {
			readErr = err
			continue
		}
		for metric, values := range sum.Metrics {
			ths, _ := values["thresholds"].(map[string]any)
			for expr, v := range ths {
				// The summary export writes true for a threshold that failed.
				bad, _ := v.(bool)
				failed = failed || bad
				k := key{metric, expr}
				if rows[k] == nil {
					rows[k] = &results.ThresholdResult{Name: metric, Expression: expr, Pass: true}
				}
				rows[k].Pass = rows[k].Pass && !bad
				o := observedFor(expr, values)
				if len(paths) > 1 {
					o = fmt.Sprintf("generator %d: %s", i+1, o)
				}
				observed[k] = append(observed[k], o)
			}
		}
	}
	var out []results.ThresholdResult
	for k, r := range rows {
		r.Observed = strings.Join(observed[k], "; ")
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].Expression < out[j].Expression
	})
	if crossed && !failed {
		why := "k6 exited 99 (a threshold failed) and its summary shows none: see k6.log"
		if readErr != nil {
			why = fmt.Sprintf("k6 exited 99 (a threshold failed) and its summary could not be read (%v): see k6.log", readErr)
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
