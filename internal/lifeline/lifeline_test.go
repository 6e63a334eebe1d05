//go:build unix

package lifeline_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"lab/internal/lifeline"
)

// The test binary plays three parts: the test (the lab's parent, say a
// shell), a lab that starts a child and then dies by SIGKILL, and the
// child, which watches its lifeline.
func TestMain(m *testing.M) {
	switch os.Getenv("LIFELINE_PART") {
	case "lab":
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), "LIFELINE_PART=child")
		if err := lifeline.Attach(cmd); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		// The pipe alone: without Linux's Pdeathsig, as on macOS.
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println(cmd.Process.Pid)
		select {} // until killed
	case "child":
		lifeline.Watch()
		time.Sleep(time.Minute) // a child that would outlive its lab
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestChildEndsWithItsLab(t *testing.T) {
	lab := exec.Command(os.Args[0])
	lab.Env = append(os.Environ(), "LIFELINE_PART=lab")
	out, err := lab.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := lab.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	pid, perr := strconv.Atoi(line[:max(0, len(line)-1)])
	if err != nil || perr != nil {
		lab.Process.Kill()
		t.Fatalf("the lab said %q (%v)", line, err)
	}
	child, _ := os.FindProcess(pid)
	defer child.Kill()
	if err := child.Signal(syscall.Signal(0)); err != nil {
		t.Fatalf("the child %d is not running: %v", pid, err)
	}
	lab.Process.Kill() // SIGKILL: the lab has no chance to stop its child
	lab.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for child.Signal(syscall.Signal(0)) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("the child %d outlived its lab by 5 s", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
