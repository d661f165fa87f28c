package demo

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/controlplane"
	"github.com/slipway/slipway/internal/router"
	"github.com/slipway/slipway/internal/runtime"
	localrt "github.com/slipway/slipway/internal/runtime/local"
	"github.com/slipway/slipway/internal/runtime/runtimetest"
)

// TestMain doubles as a stand-in control plane when the seam test asks for one: it
// starts a router and two service instances the way the demo does, splits traffic,
// reports the addresses, and waits to be killed.
func TestMain(m *testing.M) {
	if os.Getenv("SLIPWAY_TEST_CONTROL_PLANE") == "1" {
		if err := controlPlane(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		select {}
	}
	os.Exit(m.Run())
}

type planeReport struct {
	URL       string
	RouterPID int
	PIDs      []int
}

func controlPlane() error {
	ctx := context.Background()
	dir := os.Getenv("SLIPWAY_TEST_DIR")
	dp, err := controlplane.SpawnRouter(ctx, os.Getenv("SLIPWAY_TEST_SLIPWAY"), filepath.Join(dir, "routers"), "prod")
	if err != nil {
		return err
	}
	client := &router.Client{AdminURL: dp.AdminURL()}
	target := localrt.New()
	var backends []router.Backend
	rep := planeReport{URL: dp.URL(), RouterPID: dp.PID}
	for i, v := range []string{"1.0.0", "1.1.0"} {
		in, err := target.Start(ctx, runtime.Spec{Service: "svc", Env: "prod", Version: v, Binary: os.Getenv("SLIPWAY_TEST_SERVICE"),
			Health: "/healthz", PortEnv: "PORT", Dir: filepath.Join(dir, "instances")})
		if err != nil {
			return err
		}
		rep.PIDs = append(rep.PIDs, in.PID)
		backends = append(backends, router.Backend{Version: v, URL: in.URL, Weight: []int{75, 25}[i]})
	}
	if _, err := client.Apply(ctx, router.Config{Service: "svc", Env: "prod", Backends: backends}); err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(rep)
}

// TestControlPlaneCrashKeepsTraffic kills -9 the process that started the router and
// the instances while users send requests: not one request may fail, and the split
// the control plane last applied stays.
func TestControlPlaneCrashKeepsTraffic(t *testing.T) {
	if testing.Short() {
		t.Skip("builds slipway and runs processes")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cp := exec.Command(self, "-test.run=^$")
	cp.Env = append(os.Environ(), "SLIPWAY_TEST_CONTROL_PLANE=1", "SLIPWAY_TEST_DIR="+dir,
		"SLIPWAY_TEST_SLIPWAY="+slipwayBinary(t), "SLIPWAY_TEST_SERVICE="+runtimetest.Binary(t))
	cp.Stderr = os.Stderr
	stdout, _ := cp.StdoutPipe()
	if err := cp.Start(); err != nil {
		t.Fatal(err)
	}
	var rep planeReport
	if err := json.NewDecoder(bufio.NewReader(stdout)).Decode(&rep); err != nil {
		cp.Process.Kill()
		t.Fatalf("control plane report: %v", err)
	}
	t.Cleanup(func() {
		for _, pid := range append(rep.PIDs, rep.RouterPID) {
			syscall.Kill(-pid, syscall.SIGKILL)
		}
	})

	var mu sync.Mutex
	failures, served := 0, map[string]int{}
	send := func(n int) {
		client := &http.Client{Timeout: 5 * time.Second}
		for range n {
			resp, err := client.Get(rep.URL + "/")
			mu.Lock()
			if err != nil || resp.StatusCode != http.StatusOK {
				failures++
			} else {
				served[resp.Header.Get(router.HeaderVersion)]++
			}
			mu.Unlock()
			if err == nil {
				resp.Body.Close()
			}
		}
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() { defer wg.Done(); send(400) }()
	}
	// Kill the control plane while the users are mid-stream.
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := served["1.0.0"] + served["1.1.0"] + failures
		mu.Unlock()
		if n >= 200 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := cp.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cp.Wait()
	wg.Wait()
	if failures != 0 {
		t.Errorf("%d of 1600 requests failed across the control plane's crash, want 0", failures)
	}
	total := served["1.0.0"] + served["1.1.0"]
	if share := float64(served["1.1.0"]) / float64(total); share < 0.15 || share > 0.35 {
		t.Errorf("version 1.1.0 served %.0f%% of %d requests, want about the 25%% last applied", share*100, total)
	}
}
