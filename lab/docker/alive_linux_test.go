package docker

import (
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// TestZombieIsNoLab: a lab killed together with its parent is a zombie
// until reaped, and kill(pid, 0) still finds it; lab clean then left its
// services as a live lab's. A zombie is not alive; a running process is.
func TestZombieIsNoLab(t *testing.T) {
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Skip(err)
	}
	defer cmd.Wait()
	pid := cmd.Process.Pid
	if !pidAlive(pid) {
		t.Fatal("a running process is not alive")
	}
	_ = cmd.Process.Kill() // not reaped: a zombie until Wait
	deadline := time.Now().Add(5 * time.Second)
	for pidAlive(pid) {
		if time.Now().After(deadline) {
			b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
			t.Fatalf("a killed, unreaped process is alive: %s", b)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
