// Package runtimetest is the conformance suite every runtime.Target implementation runs.
package runtimetest

import (
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slipway/slipway/internal/runtime"
)

const serviceSource = `package main

import (
	"fmt"
	"net/http"
	"os"
)

func main() {
	if os.Getenv("CRASH") != "" {
		fmt.Fprintln(os.Stderr, "crashing on purpose")
		os.Exit(3)
	}
	http.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		if os.Getenv("HEALTHZ") == "broken" {
			http.Error(w, "this service answers on /ready", http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, "ok")
	})
	http.HandleFunc("/ready", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ready") })
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, os.Getenv("SLIPWAY_VERSION")+" "+os.Getenv("GREETING"))
	})
	http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil)
}
`

// Binary builds the suite's tiny HTTP service and returns its path.
func Binary(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module svc\n\ngo 1.22\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte(serviceSource), 0o644))
	cmd := exec.Command("go", "build", "-o", "svc", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build test service: %v\n%s", err, out)
	}
	return filepath.Join(dir, "svc")
}

// Run checks that the Target made by newTarget starts, serves, reports and stops
// instances as runtime.Target documents.
func Run(t *testing.T, newTarget func(t *testing.T) runtime.Target) {
	bin := Binary(t)
	ctx := context.Background()
	spec := func(version string, environ ...string) runtime.Spec {
		return runtime.Spec{Service: "svc", Env: "test", Version: version, Binary: bin,
			Environ: environ, Health: "/healthz", PortEnv: "PORT", Dir: t.TempDir()}
	}

	t.Run("StartServeStop", func(t *testing.T) {
		tg := newTarget(t)
		in, err := tg.Start(ctx, spec("1.0.0", "GREETING=hello"))
		if err != nil {
			t.Fatalf("Start: %v", err)
		}
		if got := get(t, in.URL+"/"); got != "1.0.0 hello" {
			t.Errorf("GET / = %q, want %q (version and environ reach the instance)", got, "1.0.0 hello")
		}
		if !tg.Alive(ctx, in) {
			t.Errorf("Alive = false for a running instance")
		}
		if err := tg.Stop(ctx, in); err != nil {
			t.Fatalf("Stop: %v", err)
		}
		if tg.Alive(ctx, in) {
			t.Errorf("Alive = true after Stop")
		}
		if _, err := http.Get(in.URL + "/healthz"); err == nil {
			t.Errorf("instance still answers after Stop")
		}
	})

	t.Run("TwoVersionsSideBySide", func(t *testing.T) {
		tg := newTarget(t)
		a, err := tg.Start(ctx, spec("1.0.0"))
		if err != nil {
			t.Fatal(err)
		}
		defer tg.Stop(ctx, a)
		b, err := tg.Start(ctx, spec("1.1.0"))
		if err != nil {
			t.Fatal(err)
		}
		defer tg.Stop(ctx, b)
		if a.URL == b.URL || a.ID == b.ID {
			t.Fatalf("two instances share URL or ID: %+v %+v", a, b)
		}
		if got := get(t, b.URL+"/"); !strings.HasPrefix(got, "1.1.0") {
			t.Errorf("second instance answers %q, want 1.1.0", got)
		}
	})

	t.Run("CrashOnStartIsAnError", func(t *testing.T) {
		tg := newTarget(t)
		in, err := tg.Start(ctx, spec("1.0.0", "CRASH=1"))
		if err == nil {
			tg.Stop(ctx, in)
			t.Fatal("Start of a crashing binary succeeded")
		}
	})

	t.Run("AliveProbesTheSpecHealthPath", func(t *testing.T) {
		tg := newTarget(t)
		s := spec("1.0.0", "HEALTHZ=broken")
		s.Health = "/ready"
		in, err := tg.Start(ctx, s)
		if err != nil {
			t.Fatalf("Start with health /ready: %v", err)
		}
		defer tg.Stop(ctx, in)
		if in.Health != "/ready" {
			t.Errorf("Instance.Health = %q, want %q (the Spec's)", in.Health, "/ready")
		}
		if !tg.Alive(ctx, in) {
			t.Errorf("Alive = false for an instance healthy on /ready whose /healthz fails: Alive must probe Instance.Health")
		}
	})

	t.Run("ReusedPIDIsNotTheInstance", func(t *testing.T) {
		tg := newTarget(t)
		in, err := tg.Start(ctx, spec("1.0.0"))
		if err != nil {
			t.Fatal(err)
		}
		defer tg.Stop(ctx, in)
		if in.PID == 0 || in.Boot == 0 {
			t.Skipf("target records no process identity (PID %d, Boot %d)", in.PID, in.Boot)
		}
		// A record whose process is gone while its PID now runs something else.
		stale := in
		stale.Boot++
		for _, tg := range []runtime.Target{tg, newTarget(t)} {
			if tg.Alive(ctx, stale) {
				t.Errorf("Alive = true for a record naming another process (boot %d, the PID's is %d)", stale.Boot, in.Boot)
			}
			if err := tg.Stop(ctx, stale); err != nil {
				t.Errorf("Stop of a gone process: %v", err)
			}
			if !tg.Alive(ctx, in) {
				t.Fatalf("Stop of a stale record stopped the process that reuses its PID")
			}
		}
		if got := get(t, in.URL+"/"); !strings.HasPrefix(got, "1.0.0") {
			t.Errorf("instance answers %q after a stale Stop, want 1.0.0", got)
		}
	})

	t.Run("StopAfterRestart", func(t *testing.T) {
		in, err := newTarget(t).Start(ctx, spec("1.0.0"))
		if err != nil {
			t.Fatal(err)
		}
		// A fresh Target (a restarted control plane) stops what another one started.
		other := newTarget(t)
		if err := other.Stop(ctx, in); err != nil {
			t.Fatalf("Stop from a new Target: %v", err)
		}
		if other.Alive(ctx, in) {
			t.Errorf("instance alive after Stop from a new Target")
		}
	})
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
