package controlplane

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/config"
	"github.com/slipway/slipway/internal/notify"
	"github.com/slipway/slipway/internal/store"
	"github.com/slipway/slipway/internal/vcs"
)

// upConfig builds and runs a service in one environment; the branch pipeline runs
// the commit's own step.sh, so a test decides per commit how long a run takes.
const upConfig = `service: svc
build: {main: .}
pipelines:
  branch:
    steps: [{name: step, run: sh ./step.sh, cache: false}]
  main:
    steps: [{name: test, run: "true"}]
environments:
  - name: dev
    smoke: [{name: health, path: /healthz}]
`

// upRepo is a service repository with a first commit on main.
func upRepo(t *testing.T) *vcs.Repo {
	t.Helper()
	ctx := context.Background()
	repo, err := vcs.Init(ctx, filepath.Join(t.TempDir(), "svc"))
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{"go.mod": "module svc\n\ngo 1.22\n", "main.go": crashService,
		"slipway.yaml": upConfig, "step.sh": "true\n", ".gitignore": ".slipway/\n"} {
		if err := os.WriteFile(filepath.Join(repo.Dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := repo.CommitAll(ctx, "feat: the service", time.Time{}); err != nil {
		t.Fatal(err)
	}
	return repo
}

// startUp runs Up in the background on repo and returns once it is ready.
func startUp(t *testing.T, repo *vcs.Repo, data string) (stop func()) {
	t.Helper()
	slipway := filepath.Join(t.TempDir(), "slipway")
	if out, err := exec.Command("go", "build", "-o", slipway, "../../cmd/slipway").CombinedOutput(); err != nil {
		t.Fatalf("build slipway: %v\n%s", err, out)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready, done := make(chan struct{}), make(chan error, 1)
	go func() {
		done <- Up(ctx, UpOptions{Data: data, Services: []string{repo.Dir}, Slipway: slipway, Poll: 100 * time.Millisecond,
			Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Ready: func(Info) { close(ready) }})
	}()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("Up: %v", err)
	case <-time.After(time.Minute):
		t.Fatal("Up not ready after a minute")
	}
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		<-done
		if _, err := Down(context.Background(), data, 10*time.Second); err != nil {
			t.Errorf("Down: %v", err)
		}
	}
	t.Cleanup(stop)
	return stop
}

// waitEvent waits until an event of kind matching match is journaled.
func waitEvent(t *testing.T, st *store.Store, kind string, match func(store.Event) bool) store.Event {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		evs, err := st.Events(context.Background(), store.Filter{Kinds: []string{kind}})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			if match(e) {
				return e
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no %s event in time", kind)
	return store.Event{}
}

func commitFile(t *testing.T, repo *vcs.Repo, file, content, msg string) string {
	t.Helper()
	if err := os.WriteFile(filepath.Join(repo.Dir, file), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	hash, err := repo.CommitAll(context.Background(), msg, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	return hash
}

// TestUpFollowsTheRepository checks what git work does to a running control plane:
// the head of main is released and deployed, a newer commit on a branch cancels the
// older run, an invalid slipway.yaml fails its run and changes nothing, and a second
// control plane on the same state is refused.
func TestUpFollowsTheRepository(t *testing.T) {
	if testing.Short() {
		t.Skip("builds slipway and runs a control plane")
	}
	ctx := context.Background()
	repo := upRepo(t)
	data := filepath.Join(repo.Dir, ".slipway")
	startUp(t, repo, data)
	st, err := store.Open(ctx, filepath.Join(data, "slipway.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	first := waitEvent(t, st, "deploy.finished", func(e store.Event) bool { return e.Env == "dev" })
	if first.Version != "0.1.0" {
		t.Errorf("first release deployed to dev = %s, want 0.1.0 from the head of main", first.Version)
	}
	if err := Up(ctx, UpOptions{Data: data, Services: []string{repo.Dir}, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}); !errors.Is(err, ErrRunning) {
		t.Errorf("a second Up on the same state = %v, want ErrRunning", err)
	}

	// A slow commit on a branch, then a newer one: the older run is cancelled.
	if err := repo.Branch(ctx, "feat/x", "main"); err != nil {
		t.Fatal(err)
	}
	if err := repo.Checkout(ctx, "feat/x"); err != nil {
		t.Fatal(err)
	}
	slow := commitFile(t, repo, "step.sh", "sleep 60\n", "feat: slow")
	started := waitEvent(t, st, "run.started", func(e store.Event) bool { return e.Data["commit"] == slow })
	fast := commitFile(t, repo, "step.sh", "true\n", "feat: fast")
	waitEvent(t, st, "run.canceled", func(e store.Event) bool { return e.Run == started.Run })
	done := waitEvent(t, st, "run.finished", func(e store.Event) bool { return e.Data["commit"] == fast })
	if done.Data["passed"] != true {
		t.Errorf("run of the newer commit: %v, want passed", done.Data)
	}
	if !strings.Contains(done.Actor, "Slipway") || done.Via != "git" {
		t.Errorf("run of a push journaled by %q via %q, want the commit's author via git", done.Actor, done.Via)
	}

	// An invalid slipway.yaml on main fails its run with file:line:column.
	if err := repo.Checkout(ctx, "main"); err != nil {
		t.Fatal(err)
	}
	bad := commitFile(t, repo, "slipway.yaml", strings.Replace(upConfig, "name: dev", "name: Dev Env", 1), "feat: rename dev")
	rej := waitEvent(t, st, "run.rejected", func(e store.Event) bool { return e.Data["commit"] == bad })
	if !strings.Contains(rej.Message, "slipway.yaml@"+bad[:7]+":") || !strings.Contains(rej.Message, "nothing was run or changed") {
		t.Errorf("rejection = %q, want the file at the commit with line and column", rej.Message)
	}
	var releases int
	st.List(ctx, "release", func(string, json.RawMessage) error { releases++; return nil })
	if releases != 1 {
		t.Errorf("%d releases after an invalid slipway.yaml, want still 1", releases)
	}
}

// TestOpenResolvesARelativeStateDirectory: instances are started from the
// extracted binary's path, so the state directory must be absolute whatever the
// caller passed (slipway promote with the default .slipway failed to start them).
func TestOpenResolvesARelativeStateDirectory(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	cfg, err := config.Parse("slipway.yaml", []byte(crashConfig))
	if err != nil {
		t.Fatal(err)
	}
	p, err := Open(context.Background(), Options{Data: ".slipway", Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	want := filepath.Join(dir, ".slipway")
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		want = filepath.Join(real, ".slipway")
	}
	if !filepath.IsAbs(p.Data) || !filepath.IsAbs(p.Deployer.Dir) || filepath.Base(p.Data) != ".slipway" {
		t.Errorf("Open(.slipway): Data %q, deployer dir %q; want absolute (%s)", p.Data, p.Deployer.Dir, want)
	}
}

// TestWebhookFromConfigIsWired: notify.webhook receives what the incident manager
// announces.
func TestWebhookFromConfigIsWired(t *testing.T) {
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, r.Method+" "+r.Header.Get("Content-Type")+" "+string(b))
		mu.Unlock()
	}))
	defer srv.Close()
	cfg, err := config.Parse("slipway.yaml", []byte(crashConfig+"notify:\n  webhook: "+srv.URL+"/hook\n"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := Open(context.Background(), Options{Data: t.TempDir(), Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if p.Incidents.Notifier == nil {
		t.Fatal("notify.webhook configured, but the incident manager announces nothing")
	}
	if err := p.Incidents.Notifier.Notify(context.Background(), notify.Message{Title: "svc 2.0.0 rolled back in prod"}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || !strings.HasPrefix(got[0], "POST application/json") || !strings.Contains(got[0], "rolled back in prod") {
		t.Errorf("webhook received %q, want one JSON POST with the message", got)
	}
}

// TestOneControlPlaneServesTwoServices runs two services that live in
// subdirectories of one repository: each is released with its own tags
// (a/v0.1.0, b/v0.1.0) behind its own router, and a change to one releases only it.
func TestOneControlPlaneServesTwoServices(t *testing.T) {
	if testing.Short() {
		t.Skip("builds slipway and runs a control plane")
	}
	ctx := context.Background()
	repo, err := vcs.Init(ctx, filepath.Join(t.TempDir(), "mono"))
	if err != nil {
		t.Fatal(err)
	}
	for _, svc := range []string{"a", "b"} {
		cfg := strings.Replace(upConfig, "service: svc", "service: svc-"+svc, 1)
		for name, content := range map[string]string{"go.mod": "module svc\n\ngo 1.22\n", "main.go": crashService,
			"slipway.yaml": cfg, "step.sh": "true\n"} {
			if err := os.MkdirAll(filepath.Join(repo.Dir, svc), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(repo.Dir, svc, name), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	os.WriteFile(filepath.Join(repo.Dir, ".gitignore"), []byte(".slipway/\n"), 0o644)
	if _, err := repo.CommitAll(ctx, "feat: two services", time.Time{}); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(repo.Dir, ".slipway")
	slipway := filepath.Join(t.TempDir(), "slipway")
	if out, err := exec.Command("go", "build", "-o", slipway, "../../cmd/slipway").CombinedOutput(); err != nil {
		t.Fatalf("build slipway: %v\n%s", err, out)
	}
	upCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- Up(upCtx, UpOptions{Data: data, Services: []string{filepath.Join(repo.Dir, "a"), filepath.Join(repo.Dir, "b")},
			Slipway: slipway, Poll: 100 * time.Millisecond, Log: slog.New(slog.NewTextHandler(testLog{t}, nil))})
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		Down(context.Background(), data, 10*time.Second)
	})
	st, err := store.Open(ctx, filepath.Join(data, "slipway.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	urls := map[string]bool{}
	for _, svc := range []string{"svc-a", "svc-b"} {
		e := waitEvent(t, st, "deploy.finished", func(e store.Event) bool { return e.Service == svc && e.Env == "dev" })
		if e.Version != "0.1.0" {
			t.Errorf("%s deployed %s to dev, want 0.1.0", svc, e.Version)
		}
		var dp DataPlane
		if err := st.Get(ctx, "router", svc+"/dev", &dp); err != nil {
			t.Fatal(err)
		}
		urls[dp.URL()] = true
	}
	if len(urls) != 2 {
		t.Errorf("routers %v: want one per service", urls)
	}
	for _, tag := range []string{"a/v0.1.0", "b/v0.1.0"} {
		if _, err := repo.ResolveRef(ctx, tag); err != nil {
			t.Errorf("tag %s: %v", tag, err)
		}
	}

	change := commitFile(t, repo, "a/notes.txt", "faster\n", "fix: svc-a only")
	waitEvent(t, st, "deploy.finished", func(e store.Event) bool { return e.Service == "svc-a" && e.Version == "0.1.1" })
	waitEvent(t, st, "run.finished", func(e store.Event) bool { return e.Service == "svc-b" && e.Data["commit"] == change })
	time.Sleep(500 * time.Millisecond) // svc-b's release step, had there been one, follows its run at once
	var b []string
	st.List(ctx, "release", func(id string, _ json.RawMessage) error {
		if strings.HasPrefix(id, "svc-b/") {
			b = append(b, id)
		}
		return nil
	})
	if len(b) != 1 {
		t.Errorf("svc-b releases %v after a change to svc-a only, want just its first", b)
	}
}

// testLog writes the control plane's log to the test's.
type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
