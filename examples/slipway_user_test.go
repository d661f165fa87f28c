package examples

import (
	"bytes"
	"encoding/json"
	"fmt"
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
)

// A team adopting Slipway on quote-api, through the slipway binary only: a
// developer's clone and a bare origin; Slipway runs on a clone of its own and follows
// origin, as it would on a server.

// team is one test's world: the binary, origin, the developer's clone, the clone
// Slipway runs in, and its state directory.
type team struct {
	t       *testing.T
	slipway string
	origin  string
	dev     string
	ops     string
	data    string
}

// buildSlipway builds the slipway command once per test binary.
var buildSlipway = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "slipway-bin-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "slipway")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/slipway").CombinedOutput(); err != nil {
		return "", fmt.Errorf("build slipway: %v\n%s", err, out)
	}
	return bin, nil
})

func newTeam(t *testing.T) *team {
	t.Helper()
	if testing.Short() {
		t.Skip("runs Slipway's control plane, pipelines and rollouts for a few minutes")
	}
	bin, err := buildSlipway()
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	tm := &team{t: t, slipway: bin, origin: filepath.Join(root, "origin.git"), dev: filepath.Join(root, "dev"),
		ops: filepath.Join(root, "ops"), data: filepath.Join(root, "ops", ".slipway")}
	tm.git(root, "init", "-q", "--bare", "-b", "main", tm.origin)
	tm.git(root, "clone", "-q", tm.origin, tm.dev)
	if err := copyTree("quote-api", tm.dev, func(rel string) bool { return rel == "_changes" || rel == "slipway.yaml" }); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		out, err := tm.run("down")
		t.Logf("slipway down: %v\n%s", err, out)
		if t.Failed() {
			if b, err := os.ReadFile(filepath.Join(tm.data, "slipway.log")); err == nil {
				t.Logf("control plane log:\n%s", b)
			}
		}
	})
	return tm
}

// git runs git in dir as the developer.
func (tm *team) git(dir string, args ...string) string {
	tm.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=Dana Developer", "GIT_AUTHOR_EMAIL=dana@example.com",
		"GIT_COMMITTER_NAME=Dana Developer", "GIT_COMMITTER_EMAIL=dana@example.com")
	out, err := cmd.CombinedOutput()
	if err != nil {
		tm.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// run runs slipway in the ops clone with the state directory from SLIPWAY_DATA.
func (tm *team) run(args ...string) (string, error) {
	cmd := exec.Command(tm.slipway, args...)
	cmd.Dir = tm.ops
	if _, err := os.Stat(tm.ops); err != nil {
		cmd.Dir = tm.dev
	}
	cmd.Env = append(os.Environ(), "SLIPWAY_DATA="+tm.data)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (tm *team) must(args ...string) string {
	tm.t.Helper()
	out, err := tm.run(args...)
	if err != nil {
		tm.t.Fatalf("slipway %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// change applies a change set of _changes on a new branch, commits and pushes it.
func (tm *team) change(branch, set string) {
	tm.t.Helper()
	tm.git(tm.dev, "checkout", "-q", "main")
	tm.git(tm.dev, "pull", "-q", "--ff-only")
	tm.git(tm.dev, "checkout", "-q", "-b", branch)
	src, err := filepath.Abs(filepath.Join("quote-api", "_changes", set))
	if err != nil {
		tm.t.Fatal(err)
	}
	if err := copyTree(src, tm.dev, func(rel string) bool { return rel == "COMMIT_MSG" }); err != nil {
		tm.t.Fatal(err)
	}
	tm.git(tm.dev, "add", "-A")
	tm.git(tm.dev, "commit", "-q", "-F", filepath.Join(src, "COMMIT_MSG"))
	tm.git(tm.dev, "push", "-q", "-u", "origin", branch)
}

// merge merges branch into main with a merge commit and pushes main; it returns
// the merge commit.
func (tm *team) merge(branch string) string {
	tm.t.Helper()
	tm.git(tm.dev, "checkout", "-q", "main")
	tm.git(tm.dev, "pull", "-q", "--ff-only")
	tm.git(tm.dev, "merge", "-q", "--no-ff", "-m", "Merge branch '"+branch+"'", branch)
	tm.git(tm.dev, "push", "-q", "origin", "main")
	return tm.git(tm.dev, "rev-parse", "HEAD")
}

// status is `slipway status -o json`, the part the tests read.
type status struct {
	Services []struct {
		Name         string `json:"name"`
		Environments []struct {
			Name      string `json:"name"`
			Version   string `json:"version"`
			Digest    string `json:"digest"`
			URL       string `json:"url"`
			Healthy   bool   `json:"healthy"`
			Instances []struct {
				PID int `json:"pid"`
			} `json:"instances"`
		} `json:"environments"`
		Releases []struct {
			Version string `json:"version"`
			Commit  string `json:"commit"`
			Ready   bool   `json:"ready"`
		} `json:"releases"`
		Rollouts []struct {
			ID        string `json:"id"`
			Env       string `json:"env"`
			Candidate string `json:"candidate"`
			Phase     string `json:"phase"`
			Weight    int    `json:"weight"`
		} `json:"rollouts"`
		Incidents []struct {
			ID      string `json:"id"`
			Status  string `json:"status"`
			Version string `json:"version"`
		} `json:"incidents"`
	} `json:"services"`
}

func (tm *team) status() status {
	tm.t.Helper()
	var s status
	out := tm.must("status", "-o", "json")
	if err := json.Unmarshal([]byte(out), &s); err != nil || len(s.Services) != 1 {
		tm.t.Fatalf("status -o json: %v (%d services)\n%s", err, len(s.Services), out)
	}
	return s
}

// env returns what env runs, from status.
func (s status) env(name string) (version, url string, healthy bool) {
	for _, e := range s.Services[0].Environments {
		if e.Name == name {
			return e.Version, e.URL, e.Healthy
		}
	}
	return "", "", false
}

// waitFor polls status until cond holds, failing after limit.
func (tm *team) waitFor(what string, limit time.Duration, cond func(status) bool) status {
	tm.t.Helper()
	deadline := time.Now().Add(limit)
	for {
		s := tm.status()
		if cond(s) {
			return s
		}
		if time.Now().After(deadline) {
			b, _ := json.MarshalIndent(s, "", "  ")
			tm.t.Fatalf("waited %s for %s; status:\n%s\nhistory:\n%s", limit, what, b, tm.must("history", "--limit", "40"))
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// release waits until commit is released and staged (green in the environment
// before prod) and returns its version.
func (tm *team) release(commit string) string {
	tm.t.Helper()
	var version string
	tm.waitFor("the release of "+commit[:7]+" to be staged", 4*time.Minute, func(s status) bool {
		for _, r := range s.Services[0].Releases {
			if r.Commit == commit && r.Ready {
				version = r.Version
				return true
			}
		}
		return false
	})
	return version
}

// users send quote requests to url until stop, counting what they got.
type users struct {
	mu       sync.Mutex
	sent     int
	failed   int // no answer, or a 5xx
	lastErr  string
	slowest  time.Duration
	versions map[string]int
	stop     chan struct{}
	done     chan struct{}
}

func startUsers(url string, perSecond int) *users {
	u := &users{versions: map[string]int{}, stop: make(chan struct{}), done: make(chan struct{})}
	// A user waits long: on a machine whose cores are all taken by neighbours a
	// request can stall for seconds without anything being wrong with the service.
	client := &http.Client{Timeout: 20 * time.Second}
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Second / time.Duration(perSecond))
	go func() {
		defer close(u.done)
		defer wg.Wait()
		defer tick.Stop()
		for {
			select {
			case <-u.stop:
				return
			case <-tick.C:
			}
			wg.Go(func() {
				start := time.Now()
				resp, err := client.Get(url + "/v1/quotes?symbol=ACME")
				u.mu.Lock()
				defer u.mu.Unlock()
				u.sent++
				u.slowest = max(u.slowest, time.Since(start))
				if err != nil {
					u.failed++
					u.lastErr = err.Error()
					return
				}
				resp.Body.Close()
				if resp.StatusCode >= 500 {
					u.failed++
					u.lastErr = resp.Status
				}
				u.versions[resp.Header.Get("X-Slipway-Version")]++
			})
		}
	}()
	return u
}

func (u *users) end() (sent, failed int, lastErr string, versions map[string]int) {
	close(u.stop)
	<-u.done
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.sent, u.failed, fmt.Sprintf("%s; slowest answer %s", u.lastErr, u.slowest.Round(time.Millisecond)), u.versions
}

// adopt runs the first part every team goes through: slipway init in the
// developer's clone, the tuned configuration committed and pushed, Slipway started
// on its own clone following origin, and the first release running in dev,
// staging and prod.
func (tm *team) adopt() (prodURL string) {
	t := tm.t
	out := tm.must("init", "--dir", tm.dev)
	for _, want := range []string{"./cmd/quote-api", "/health/ready"} {
		if !strings.Contains(out, want) {
			t.Errorf("slipway init found no %s:\n%s", want, out)
		}
	}
	if gi, _ := os.ReadFile(filepath.Join(tm.dev, ".gitignore")); !strings.Contains(string(gi), ".slipway/") {
		t.Errorf(".gitignore = %q, want .slipway/ in it", gi)
	}
	if out, err := tm.run("init", "--dir", tm.dev); err == nil || !strings.Contains(out, "already exists") {
		t.Errorf("a second slipway init = %v, want refused: it never overwrites slipway.yaml\n%s", err, out)
	}
	// The team keeps init's file but compresses its times so rollouts end in seconds.
	tuned, err := os.ReadFile(filepath.Join("quote-api", "slipway.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tm.dev, "slipway.yaml"), tuned, 0o644); err != nil {
		t.Fatal(err)
	}
	tm.git(tm.dev, "add", "-A")
	tm.git(tm.dev, "commit", "-q", "-m", "feat: quote-api on Slipway")
	tm.git(tm.dev, "push", "-q", "origin", "main")
	first := tm.git(tm.dev, "rev-parse", "HEAD")

	tm.git(filepath.Dir(tm.ops), "clone", "-q", tm.origin, tm.ops)
	out = tm.must("up", "--detach", "--remote", "origin")
	if !strings.Contains(out, "prod") || !strings.Contains(out, "http://127.0.0.1:") {
		t.Fatalf("slipway up --detach printed no environment URLs:\n%s", out)
	}
	version := tm.release(first)
	tm.must("promote", version, "prod")
	s := tm.waitFor(version+" in dev, staging and prod", time.Minute, func(s status) bool {
		for _, env := range []string{"dev", "staging", "prod"} {
			if v, _, healthy := s.env(env); v != version || !healthy {
				return false
			}
		}
		return true
	})
	_, prodURL, _ = s.env("prod")
	return prodURL
}

// TestTeamShipsQuoteAPI drives the slipway binary the way a team would, from init
// to down: a good change promoted, a latency regression rolled back in production by
// analysis (with its incident, and the version quarantined), the fix promoted on the
// hotfix path, and nothing left running after down.
func TestTeamShipsQuoteAPI(t *testing.T) {
	tm := newTeam(t)
	prodURL := tm.adopt()
	u := startUsers(prodURL, 60)

	tm.change("feat/symbols-sector", "01-feat-symbols-sector")
	good := tm.release(tm.merge("feat/symbols-sector"))
	if out := tm.must("promote", good, "prod"); !strings.Contains(out, "promoted") {
		t.Errorf("promote %s prod: want promoted:\n%s", good, out)
	}

	tm.change("feat/spread-model", "02-feat-spread-model")
	bad := tm.release(tm.merge("feat/spread-model"))
	out, err := tm.run("promote", bad, "prod")
	if err == nil || !strings.Contains(out, "rolled back") || !strings.Contains(out, "latency") {
		t.Errorf("promote %s prod = %v, want rolled back for latency:\n%s", bad, err, out)
	}
	s := tm.status()
	if v, _, _ := s.env("prod"); v != good {
		t.Errorf("prod runs %s after the rollback, want %s", v, good)
	}
	var incident string
	for _, in := range s.Services[0].Incidents {
		if in.Version == bad {
			incident = in.ID
		}
	}
	if incident == "" {
		t.Errorf("no incident names %s: %+v", bad, s.Services[0].Incidents)
	} else if pm, err := os.ReadFile(filepath.Join(tm.data, "postmortems", incident+".md")); err != nil || !bytes.Contains(pm, []byte(bad)) {
		t.Errorf("post-mortem draft of %s: %v", incident, err)
	}
	if out, err := tm.run("promote", bad, "prod"); err == nil || !strings.Contains(out, "quarantine") {
		t.Errorf("promote of the rolled back %s again = %v, want refused (quarantined):\n%s", bad, err, out)
	}

	tm.change("fix/spread-model-cache", "03-fix-spread-model-cache")
	fix := tm.release(tm.merge("fix/spread-model-cache"))
	if out := tm.must("promote", fix, "prod"); !strings.Contains(out, "promoted") {
		t.Errorf("promote %s prod: want promoted:\n%s", fix, out)
	}
	s = tm.status()
	if v, _, _ := s.env("prod"); v != fix {
		t.Errorf("prod runs %s, want the fix %s", v, fix)
	}
	hotfix := false
	for _, r := range s.Services[0].Rollouts {
		if r.Candidate == fix && r.Phase == "promoted" {
			hotfix = true
		}
	}
	if !hotfix {
		t.Errorf("no promoted rollout of %s: %+v", fix, s.Services[0].Rollouts)
	}
	runs := tm.must("runs", "--limit", "0")
	for _, want := range []string{"feat/symbols-sector", "feat/spread-model", "fix/spread-model-cache", "hotfix", "main"} {
		if !strings.Contains(runs, want) {
			t.Errorf("slipway runs lists no %s run:\n%s", want, runs)
		}
	}
	hist := tm.must("history", "--kind", "request.*", "-o", "json")
	if !strings.Contains(hist, `"via": "cli"`) {
		t.Errorf("requests journaled without who asked through which door:\n%s", hist)
	}

	sent, failed, lastErr, versions := u.end()
	t.Logf("users: %d requests, %d failed (%s), by version %v", sent, failed, lastErr, versions)
	if failed > 0 {
		t.Errorf("%d of %d user requests failed (last: %s); a latency regression and promotions must fail none", failed, sent, lastErr)
	}

	pids := tm.recordedPIDs()
	tm.must("down")
	for _, pid := range pids {
		if running(pid) {
			t.Errorf("pid %d still runs after slipway down", pid)
		}
	}
	if left := processesUnder(filepath.Dir(tm.ops)); len(left) > 0 {
		t.Errorf("processes left after slipway down: %v", left)
	}
}

// recordedPIDs are the control plane's, the routers' and the instances' pids.
func (tm *team) recordedPIDs() []int {
	var pids []int
	var info struct {
		PID int `json:"pid"`
	}
	if b, err := os.ReadFile(filepath.Join(tm.data, "controlplane.json")); err == nil && json.Unmarshal(b, &info) == nil {
		pids = append(pids, info.PID)
	}
	for _, e := range tm.status().Services[0].Environments {
		for _, in := range e.Instances {
			pids = append(pids, in.PID)
		}
	}
	return pids
}

// running reports whether pid is a live process (zombies are not).
func running(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(b, ')')
	return i > 0 && i+2 < len(b) && b[i+2] != 'Z'
}

// processesUnder lists live processes whose command line mentions dir.
func processesUnder(dir string) []string {
	entries, _ := os.ReadDir("/proc")
	var out []string
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() || !running(pid) {
			continue
		}
		cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err == nil && bytes.Contains(cmdline, []byte(dir)) {
			out = append(out, fmt.Sprintf("%d %s", pid, bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '})))
		}
	}
	return out
}

// TestControlPlaneKilledMidRollout kills -9 the control plane while a canary is
// under way, starts it again, and checks that the rollout ends as analysis says
// and that users never lost a request: the routers kept serving throughout.
func TestControlPlaneKilledMidRollout(t *testing.T) {
	tm := newTeam(t)
	prodURL := tm.adopt()
	u := startUsers(prodURL, 60)

	tm.change("feat/symbols-sector", "01-feat-symbols-sector")
	good := tm.release(tm.merge("feat/symbols-sector"))
	tm.must("promote", good, "prod", "--no-wait")
	tm.waitFor("the canary of "+good+" under way", time.Minute, func(s status) bool {
		for _, r := range s.Services[0].Rollouts {
			if r.Candidate == good && r.Phase == "progressing" && r.Weight > 0 {
				return true
			}
		}
		return false
	})
	var info struct {
		PID int `json:"pid"`
	}
	b, err := os.ReadFile(filepath.Join(tm.data, "controlplane.json"))
	if err != nil || json.Unmarshal(b, &info) != nil || info.PID == 0 {
		t.Fatalf("controlplane.json: %v %s", err, b)
	}
	if err := syscall.Kill(info.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for running(info.PID) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(2 * time.Second) // users keep going on the last applied weights
	tm.must("up", "--detach", "--remote", "origin")
	s := tm.waitFor("the resumed rollout of "+good+" to end", 2*time.Minute, func(s status) bool {
		for _, r := range s.Services[0].Rollouts {
			if r.Candidate == good && r.Phase != "progressing" && r.Phase != "paused" {
				return true
			}
		}
		return false
	})
	if v, _, _ := s.env("prod"); v != good {
		t.Errorf("prod runs %s after the resumed rollout, want %s promoted", v, good)
	}
	hist := tm.must("history", "--kind", "rollout.*")
	if !strings.Contains(hist, "promoted") {
		t.Errorf("no promotion in the rollout's journal:\n%s", hist)
	}
	sent, failed, lastErr, versions := u.end()
	t.Logf("users: %d requests, %d failed (%s), by version %v", sent, failed, lastErr, versions)
	if failed > 0 {
		t.Errorf("%d of %d user requests failed across the crash (last: %s), want 0", failed, sent, lastErr)
	}
	if versions[good] == 0 {
		t.Errorf("no request reached %s: %v", good, versions)
	}
}
