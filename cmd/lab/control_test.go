package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestOnlyTheOwnerSteers starts `lab up` and checks who may steer it: the
// control file is the user's alone, `lab fault` (which reads it) works, a
// request without the token is refused, and no socket of the lab or of any
// process it started listens outside loopback.
func TestOnlyTheOwnerSteers(t *testing.T) {
	up := startUp(t, "process")
	path := filepath.Join(up.tmp, fmt.Sprintf("lab-control-%d", os.Getuid()))
	st, err := os.Stat(path)
	if err != nil {
		t.Fatalf("no control file: %v", err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("control file mode %v, want 0600", st.Mode().Perm())
	}
	t.Setenv("TMPDIR", up.tmp)
	var stdout, stderr bytes.Buffer
	if code := Main(context.Background(), []string{"fault", "add", "{name: slow, target: catalog, kind: latency, latency: 50ms}"}, &stdout, &stderr); code != ExitOK {
		t.Fatalf("lab fault add: exit %d: %s", code, stderr.String())
	}
	c, err := readControl()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(c.URL + "/faults")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET /faults without the token: %s, want 401", resp.Status)
	}

	listening := listeningSockets(t, append([]int{up.cmd.Process.Pid}, descendants(up.cmd.Process.Pid)...))
	if len(listening) < 9 { // the instances, the broker, the proxies, the APIs
		t.Fatalf("found only %d listening sockets: %v", len(listening), listening)
	}
	t.Logf("%d listening sockets: %v", len(listening), listening)
	for _, a := range listening {
		if !a.IsLoopback() {
			t.Errorf("a socket listens on %s, outside loopback", a)
		}
	}
}

// descendants returns the PIDs of every process below pid.
func descendants(pid int) []int {
	entries, _ := os.ReadDir("/proc")
	children := map[int][]int{}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so cut at the last ')'.
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(f) > 1 {
			pp, _ := strconv.Atoi(f[1])
			children[pp] = append(children[pp], p)
		}
	}
	var out []int
	for q := []int{pid}; len(q) > 0; q = q[1:] {
		for _, c := range children[q[0]] {
			out = append(out, c)
			q = append(q, c)
		}
	}
	return out
}

// listeningSockets returns the addresses of the TCP sockets in LISTEN state
// that the processes pids hold.
func listeningSockets(t *testing.T, pids []int) []net.IP {
	t.Helper()
	inodes := map[string]bool{}
	for _, pid := range pids {
		fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
		for _, fd := range fds {
			l, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
			if ino, ok := strings.CutPrefix(l, "socket:["); err == nil && ok {
				inodes[strings.TrimSuffix(ino, "]")] = true
			}
		}
	}
	var out []net.IP
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(table)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Scan() // the header
		for sc.Scan() {
			// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
			fields := strings.Fields(sc.Text())
			if len(fields) < 10 || fields[3] != "0A" || !inodes[fields[9]] {
				continue
			}
			hexIP, _, _ := strings.Cut(fields[1], ":")
			raw, err := hex.DecodeString(hexIP)
			if err != nil {
				t.Fatalf("%s: %q", table, fields[1])
			}
			// The kernel prints each 32-bit word in host (little-endian) order.
			for i := 0; i+4 <= len(raw); i += 4 {
				raw[i], raw[i+1], raw[i+2], raw[i+3] = raw[i+3], raw[i+2], raw[i+1], raw[i]
			}
			out = append(out, net.IP(raw))
		}
		f.Close()
	}
	return out
}

// TestFaultWordsListAndComplete steers a running `lab up` as a trainer
// would: a fault added as words, the faults in force as JSON with their
// parameters, and `lab fault rm <TAB>` offering their names.
func TestFaultWordsListAndComplete(t *testing.T) {
	up := startUp(t, "process")
	t.Setenv("TMPDIR", up.tmp)
	for _, args := range [][]string{
		{"fault", "add", "{name: slow, target: catalog, kind: latency, latency: 50ms}"},
		{"fault", "add", "latency", "gateway->catalog", "latency=20ms"},
	} {
		if out, code := lines(t, args...); code != ExitOK {
			t.Fatalf("lab %q: exit %d: %q", args, code, out)
		}
	}
	var list []struct {
		Spec   map[string]any `json:"spec"`
		Origin string         `json:"origin"`
	}
	decode(t, &list, "fault", "ls", "--json")
	names := map[string]any{}
	for _, a := range list {
		names[fmt.Sprint(a.Spec["name"])] = a.Spec["latency"]
	}
	if len(list) != 2 || names["slow"] != "50ms" || names["latency-gateway-catalog"] != "20ms" {
		t.Fatalf("lab fault ls --json: %+v", list)
	}
	got, _ := lines(t, "__complete", "fault", "rm", "")
	joined := strings.Join(got, "\n")
	if !strings.Contains(joined, "slow\tlatency on catalog") || !strings.Contains(joined, "latency-gateway-catalog\t") {
		t.Fatalf("lab fault rm <TAB> offers:\n%s", joined)
	}
	if out, code := lines(t, "fault", "rm", "slow"); code != ExitOK {
		t.Fatalf("lab fault rm slow: exit %d: %q", code, out)
	}
	decode(t, &list, "fault", "ls", "--json")
	if len(list) != 1 {
		t.Fatalf("after rm, %d faults in force", len(list))
	}
}
