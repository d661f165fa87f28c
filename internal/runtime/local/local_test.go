package local

import (
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/runtime"
	"github.com/slipway/slipway/internal/runtime/runtimetest"
)

func TestConformance(t *testing.T) {
	runtimetest.Run(t, func(t *testing.T) runtime.Target {
		return &Target{StartTimeout: 10 * time.Second, Grace: 2 * time.Second}
	})
}

func TestSameProcess(t *testing.T) {
	self := os.Getpid()
	boot, err := StartTime(self)
	if err != nil || boot == 0 {
		t.Fatalf("StartTime(self) = %d, %v; want a start time", boot, err)
	}
	if !SameProcess(self, boot) {
		t.Errorf("SameProcess(self, %d) = false, want true", boot)
	}
	if !SameProcess(self, 0) {
		t.Errorf("SameProcess(self, 0) = false, want true (0 is an unrecorded start time)")
	}
	if SameProcess(self, boot+1) {
		t.Errorf("SameProcess(self, %d) = true for another start time", boot+1)
	}
	if SameProcess(0, 0) || SameProcess(-1, 0) {
		t.Errorf("SameProcess of a non-positive pid = true")
	}

	// An exited child not yet reaped is a zombie: not the same process any more.
	cmd := exec.Command("true")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	zboot, _ := StartTime(pid)
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		st, err := readStat(pid)
		if err != nil {
			t.Fatal(err)
		}
		if st.state == 'Z' {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("child %d not a zombie after 10s (state %c)", pid, st.state)
		}
		<-tick.C
	}
	if SameProcess(pid, zboot) {
		t.Errorf("SameProcess(zombie %d) = true, want false", pid)
	}
	cmd.Wait()
	if SameProcess(pid, zboot) {
		t.Errorf("SameProcess(reaped %d) = true, want false", pid)
	}
	if _, err := StartTime(pid); err == nil {
		t.Errorf("StartTime of a reaped process succeeded")
	}
}
