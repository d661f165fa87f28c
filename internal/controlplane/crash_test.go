package controlplane

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/artifact"
	"github.com/slipway/slipway/internal/config"
	"github.com/slipway/slipway/internal/deploy"
	"github.com/slipway/slipway/internal/rollout"
	"github.com/slipway/slipway/internal/router"
)

// The service under rollout: versions containing "bad" fail a third of requests.
const crashService = `package main

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"strings"
)

var version = "dev"

func main() {
	http.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") })
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(version, "bad") && rand.IntN(3) == 0 {
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, version)
	})
	http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil)
}
`

const crashConfig = `service: svc
build: {main: .}
pipelines:
  main:
    steps: [{name: test, run: "true"}]
environments:
  - name: prod
    rollout:
      steps: [10, 50, 100]
      bake: 1s
      interval: 100ms
      keep-warm: 1m
      analysis:
        min-requests: 20
        on-no-data: rollback
        max-extension: 5s
        checks: [{metric: error-rate, max: "5%"}]
`

// TestMain plays a control plane in a child process when the crash test asks:
// "deploy VERSION DIGEST" or "resume". It reports its outcome on stdout.
func TestMain(m *testing.M) {
	if mode := os.Getenv("SLIPWAY_CRASH_MODE"); mode != "" {
		if err := crashChild(mode); err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func crashChild(mode string) error {
	ctx := context.Background()
	p, err := Open(ctx, Options{Data: os.Getenv("SLIPWAY_CRASH_DATA")})
	if err != nil {
		return err
	}
	defer p.Close()
	if mode == "resume" {
		res, err := p.Deployer.Resume(ctx)
		for _, r := range res {
			fmt.Println("resumed", r.Version, r.Outcome)
		}
		return err
	}
	version, digest, _ := strings.Cut(mode, " ")
	res, err := p.Deployer.Deploy(ctx, "prod", deploy.Artifact{Service: "svc", Version: version, Digest: digest}, deploy.Options{})
	fmt.Println("deployed", version, res.Outcome)
	return err
}

// newTestPlane opens a control plane for the test service with a real router
// process, and returns a function that builds artifacts of the service.
func newTestPlane(t *testing.T) (*Plane, DataPlane, func(version string) artifact.Artifact, string) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	data := filepath.Join(dir, "state")
	cfg, err := config.Parse("slipway.yaml", []byte(crashConfig))
	if err != nil {
		t.Fatal(err)
	}
	p, err := Open(ctx, Options{Data: data, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	t.Cleanup(killChildren)
	src := filepath.Join(dir, "src")
	os.MkdirAll(src, 0o755)
	os.WriteFile(filepath.Join(src, "go.mod"), []byte("module svc\n\ngo 1.22\n"), 0o644)
	os.WriteFile(filepath.Join(src, "main.go"), []byte(crashService), 0o644)
	build := func(version string) artifact.Artifact {
		a, err := p.Artifacts.Build(ctx, artifact.BuildInput{Service: "svc", Version: version, Commit: "0123456789abcdef",
			SourceDir: src, Main: ".", Created: time.Unix(1700000000, 0)})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	slipway := filepath.Join(dir, "slipway")
	if out, err := exec.Command("go", "build", "-o", slipway, "../../cmd/slipway").CombinedOutput(); err != nil {
		t.Fatalf("build slipway: %v\n%s", err, out)
	}
	dp, err := SpawnRouter(ctx, slipway, filepath.Join(data, "routers"), "prod")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(dp.Stop)
	if err := p.Register(ctx, dp); err != nil {
		t.Fatal(err)
	}
	return p, dp, build, data
}

type users struct {
	mu                sync.Mutex
	dropped, appFails int
	byVersion         map[string]int
}

// TestKillControlPlaneAnywhere kills -9 the control plane at random points of six
// rollouts (good and bad candidates alternating), restarts it, and checks that each
// rollout ends as analysis says, that the router, the deployment and the rollout
// agree, and that users never lose a request to the crashes.
func TestKillControlPlaneAnywhere(t *testing.T) {
	if testing.Short() {
		t.Skip("builds binaries and kills processes for about a minute")
	}
	// Orphaned instances (a kill between their start and their record) come back to us.
	syscall.RawSyscall(syscall.SYS_PRCTL, 36 /* PR_SET_CHILD_SUBREAPER */, 1, 0)
	ctx := context.Background()
	p, dp, build, data := newTestPlane(t)
	stable := build("1.0.0")
	if _, err := p.Deployer.Deploy(ctx, "prod", deploy.Artifact{Service: "svc", Version: "1.0.0", Digest: stable.Digest}, deploy.Options{}); err != nil {
		t.Fatal(err)
	}

	u := &users{byVersion: map[string]int{}}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() { defer wg.Done(); u.send(dp.URL(), stop) }()
	}

	// A new seed every run covers new kill points over time; the log names it.
	seed := uint64(time.Now().UnixNano())
	if env := os.Getenv("SLIPWAY_CRASH_SEED"); env != "" {
		seed, _ = strconv.ParseUint(env, 10, 64)
	}
	t.Logf("kill points from seed %d (SLIPWAY_CRASH_SEED=%d reproduces them)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 11))
	kills := 0
	versions := []string{"1.1.0", "1.2.0-bad", "1.3.0", "1.4.0-bad", "1.5.0", "1.6.0-bad"}
	for _, v := range versions {
		a := build(v)
		want := rollout.Promoted
		if strings.Contains(v, "bad") {
			want = rollout.RolledBack
		}
		// Deploy, killed at a random point; then restart until the rollout ends.
		for attempt := 0; ; attempt++ {
			if attempt == 12 {
				t.Fatalf("%s: the rollout did not end after %d control plane runs", v, attempt)
			}
			mode := "resume"
			if findRollout(t, p, v) == nil {
				mode = v + " " + a.Digest
			}
			child := startChild(t, data, mode)
			if attempt < 3 {
				after := time.Duration(rng.Int64N(int64(2500 * time.Millisecond)))
				time.Sleep(after)
				if child.kill() {
					kills++
					t.Logf("%s: killed the control plane (%s) after %s", v, strings.Fields(mode)[0], after.Round(time.Millisecond))
					continue
				}
			}
			if out := child.wait(); strings.Contains(out, "error:") {
				t.Fatalf("%s: control plane (%s) failed: %s", v, mode, out)
			}
			if r := findRollout(t, p, v); r != nil && r.Phase.Terminal() {
				if dep, _ := p.Deployer.Current(ctx, "prod"); dep.Pending == nil {
					break
				}
			}
		}
		r := findRollout(t, p, v)
		if r.Phase != want {
			t.Errorf("%s: rollout %s ended %s (%s), want %s", v, r.ID, r.Phase, r.Reason, want)
		}
		dep, err := p.Deployer.Current(ctx, "prod")
		if err != nil {
			t.Fatal(err)
		}
		wantVersion := r.Stable.Version
		if want == rollout.Promoted {
			wantVersion = v
		}
		cfg, err := (&router.Client{AdminURL: dp.AdminURL()}).Config(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if dep.Version != wantVersion || dep.Pending != nil || len(cfg.Backends) != 1 ||
			cfg.Backends[0].Version != wantVersion || cfg.Backends[0].Weight != 100 || cfg.Backends[0].URL != dep.Instances[0].URL {
			t.Fatalf("%s: deployment %s (pending %v), router %+v; want both on %s at 100%%", v, dep.Version, dep.Pending, cfg.Backends, wantVersion)
		}
	}
	close(stop)
	wg.Wait()
	t.Logf("%d kills over %d rollouts; users: %d requests by version %v, %d app errors from bad canaries, %d dropped",
		kills, len(versions), sum(u.byVersion), u.byVersion, u.appFails, u.dropped)
	// A kill lands only while the control plane still runs; a bad canary can be
	// rolled back before a late kill point. Half the rollouts crashed mid-way is
	// the floor.
	if kills < len(versions)/2 {
		t.Errorf("only %d kills landed over %d rollouts; the test must crash the control plane mid-rollout", kills, len(versions))
	}
	if u.dropped != 0 {
		t.Errorf("%d requests dropped (transport errors, 502, 503) across the crashes, want 0", u.dropped)
	}
}

func (u *users) send(url string, stop <-chan struct{}) {
	client := &http.Client{Timeout: 5 * time.Second}
	for {
		select {
		case <-stop:
			return
		default:
		}
		resp, err := client.Get(url + "/")
		u.mu.Lock()
		switch {
		case err != nil || resp.StatusCode == http.StatusBadGateway || resp.StatusCode == http.StatusServiceUnavailable:
			u.dropped++
		case resp.StatusCode == http.StatusInternalServerError:
			u.appFails++
		default:
			u.byVersion[resp.Header.Get(router.HeaderVersion)]++
		}
		u.mu.Unlock()
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type child struct {
	cmd  *exec.Cmd
	out  chan string
	done chan struct{}
}

func startChild(t *testing.T, data, mode string) *child {
	t.Helper()
	self, _ := os.Executable()
	cmd := exec.Command(self, "-test.run=^$")
	cmd.Env = append(os.Environ(), "SLIPWAY_CRASH_MODE="+mode, "SLIPWAY_CRASH_DATA="+data)
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, out: make(chan string, 1), done: make(chan struct{})}
	go func() {
		var lines []string
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines = append(lines, sc.Text())
		}
		cmd.Wait()
		c.out <- strings.Join(lines, "\n")
		close(c.done)
	}()
	return c
}

// kill sends SIGKILL unless the child already finished; it reports whether it killed.
func (c *child) kill() bool {
	select {
	case <-c.done:
		return false
	default:
	}
	c.cmd.Process.Signal(syscall.SIGKILL)
	<-c.done
	return true
}

func (c *child) wait() string {
	<-c.done
	return <-c.out
}

func findRollout(t *testing.T, p *Plane, version string) *rollout.Rollout {
	t.Helper()
	var found *rollout.Rollout
	err := p.Store.List(context.Background(), "rollout", func(_ string, raw json.RawMessage) error {
		var r rollout.Rollout
		if err := json.Unmarshal(raw, &r); err != nil {
			return err
		}
		if r.Candidate.Version == version {
			found = &r
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// killChildren kills every process whose parent is this test (instances, orphans).
func killChildren() {
	me := strconv.Itoa(os.Getpid())
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "status"))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if ppid, ok := strings.CutPrefix(line, "PPid:"); ok && strings.TrimSpace(ppid) == me {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	}
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
