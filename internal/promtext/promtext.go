// Package promtext reads what the services' /metrics serve, the Prometheus
// text format, one sample a line: enough for the harness, which needs
// counters, gauges and histogram buckets by name and labels.
package promtext

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// Scan calls fn for every sample of r whose metric name starts with prefix
// (comments never do), with its labels and value; a line that does not
// parse is skipped. Label values may hold escaped quotes, backslashes and
// newlines; a trailing timestamp is read past, not taken for the value.
func Scan(r io.Reader, prefix string, fn func(name string, labels map[string]string, value float64)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, prefix) || strings.HasPrefix(line, "#") {
			continue
		}
		if name, labels, v, ok := parseLine(line); ok {
			fn(name, labels, v)
		}
	}
	return sc.Err()
}

// parseLine reads one sample line: name{label="value",...} value [timestamp].
func parseLine(line string) (name string, labels map[string]string, v float64, ok bool) {
	i := strings.IndexAny(line, "{ \t")
	if i <= 0 {
		return "", nil, 0, false
	}
	name, rest := line[:i], line[i:]
	labels = map[string]string{}
	if rest[0] == '{' {
		var n int
		if labels, n, ok = parseLabels(rest[1:]); !ok {
			return "", nil, 0, false
		}
		rest = rest[1+n:]
	}
	fields := strings.Fields(rest)
	if len(fields) < 1 || len(fields) > 2 {
		return "", nil, 0, false
	}
	v, err := strconv.ParseFloat(fields[0], 64)
	if err != nil {
		return "", nil, 0, false
	}
	return name, labels, v, true
}

// parseLabels reads label="value" pairs up to and including the closing
// brace, and says how many bytes of s that took.
func parseLabels(s string) (map[string]string, int, bool) {
	labels := map[string]string{}
	i := 0
	for {
		for i < len(s) && (s[i] == ' ' || s[i] == ',') {
			i++
		}
		if i < len(s) && s[i] == '}' {
			return labels, i + 1, true
		}
		eq := strings.IndexByte(s[i:], '=')
		if eq <= 0 || i+eq+1 >= len(s) || s[i+eq+1] != '"' {
			return nil, 0, false
		}
		key := strings.TrimSpace(s[i : i+eq])
		i += eq + 2
		var val strings.Builder
		for {
			if i >= len(s) {
				return nil, 0, false
			}
			c := s[i]
			i++
			if c == '"' {
				break
			}
			if c == '\\' && i < len(s) {
				switch s[i] {
				case 'n':
					c = '\n'
				default:
					c = s[i]
				}
				i++
			}
			val.WriteByte(c)
		}
		labels[key] = val.String()
	}
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
