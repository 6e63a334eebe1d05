// Package promtext reads what the services' /metrics serve, the Prometheus
// text format, one sample a line: enough for the harness, which needs
// counters, gauges and histogram buckets by name and labels.
package promtext

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

var labelRe = regexp.MustCompile(`(\w+)="([^"]*)"`)

// Scan calls fn for every sample of r whose metric name starts with prefix
// (comments never do), with its labels and value; a line whose value does
// not parse is skipped.
func Scan(r io.Reader, prefix string, fn func(name string, labels map[string]string, value float64)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, prefix) {
			continue
		}
		sp := strings.LastIndexByte(line, ' ')
		if sp < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[sp+1:], 64)
		if err != nil {
			continue
		}
		name, rest, hasLabels := strings.Cut(line[:sp], "{")
		labels := map[string]string{}
		if hasLabels {
			for _, m := range labelRe.FindAllStringSubmatch(rest, -1) {
				labels[m[1]] = m[2]
			}
		}
		fn(name, labels, v)
	}
	return sc.Err()
}

// Get fetches url with hc and scans the answer as Scan does. It returns an
// error only when the request fails: an answer cut short yields the samples
// before the cut, and one that is not 200 usually none.
func Get(ctx context.Context, hc *http.Client, url, prefix string, fn func(name string, labels map[string]string, value float64)) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_ = Scan(resp.Body, prefix, fn)
	return nil
}
