package results

// ThresholdResult is one threshold of the user's k6 script, as k6 itself
// judged it: k6 stays the authority on its own thresholds.
type ThresholdResult struct {
	// Name is the metric with its tags: http_req_duration{name:checkout}.
	Name string `json:"name"`
	// Expression is the threshold as the script writes it: p(95)<200.
	Expression string `json:"expression"`
	// Observed is the aggregate the expression reads, as k6 reported it.
	Observed string `json:"observed"`
	Pass     bool   `json:"pass"`
}

// crossedThresholds returns the expressions of the thresholds that failed.
func crossedThresholds(ths []ThresholdResult) []string {
	var out []string
	for _, t := range ths {
		if !t.Pass {
			out = append(out, t.Name+": "+t.Expression+" ("+t.Observed+")")
		}
	}
	return out
}
