package skeleton

import (
	"bytes"
	"strings"
	"sync"
)

// Tail keeps the last lines written to it: an instance's log, for errors
// that quote it.
type Tail struct {
	mu    sync.Mutex
	n     int // 0 means 20
	lines []string
	part  []byte
}

func (t *Tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.part = append(t.part, p...)
	for {
		i := bytes.IndexByte(t.part, '\n')
		if i < 0 {
			break
		}
		t.lines = append(t.lines, string(t.part[:i]))
		t.part = t.part[i+1:]
		if n := t.keep(); len(t.lines) > n {
			t.lines = t.lines[len(t.lines)-n:]
		}
	}
	return len(p), nil
}

// Lines returns the kept lines, oldest first.
func (t *Tail) Lines() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := append([]string{}, t.lines...)
	if s := strings.TrimSpace(string(t.part)); s != "" {
		out = append(out, s)
	}
	return out
}

func (t *Tail) keep() int {
	if t.n == 0 {
		return 20
	}
	return t.n
}

// JoinLines indents lines under an error message, or says "(none)".
func JoinLines(lines []string) string {
	if len(lines) == 0 {
		return "(none)"
	}
	return strings.Join(lines, "\n  ")
}
