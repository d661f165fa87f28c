package router

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestMain lets the test binary act as a standalone router process, so tests can
// kill and restart a real router.
func TestMain(m *testing.M) {
	if state := os.Getenv("SLIPWAY_TEST_ROUTER_STATE"); state != "" {
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
		defer stop()
		err := Run(ctx, Options{Listen: "127.0.0.1:0", AdminListen: "127.0.0.1:0", StatePath: state}, os.Stdout)
		if err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// process is a router running as a child process.
type process struct {
	cmd   *exec.Cmd
	addrs Ready
}

func startProcess(t *testing.T, state string) *process {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "SLIPWAY_TEST_ROUTER_STATE="+state)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start router process: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadBytes('\n')
	if err != nil {
		t.Fatalf("read ready line: %v", err)
	}
	p := &process{cmd: cmd}
	if err := json.Unmarshal(line, &p.addrs); err != nil {
		t.Fatalf("ready line %q: %v", line, err)
	}
	return p
}

func (p *process) client() *Client {
	return &Client{AdminURL: "http://" + p.addrs.Admin, HTTP: &http.Client{Timeout: 10 * time.Second}}
}

// TestProcessRestartKeepsWeights kills a router process with SIGKILL right after an
// acknowledged change and checks the restarted process routes the same way.
func TestProcessRestartKeepsWeights(t *testing.T) {
	v1, v2 := newBackend(t, "v1"), newBackend(t, "v2")
	state := filepath.Join(t.TempDir(), "state", "router.json")
	p := startProcess(t, state)
	ctx := context.Background()
	want := mustApply(t, p.client(), Config{Service: "contract-api", Env: "prod", Backends: []Backend{
		{Version: "v1", URL: v1.URL, Weight: 0}, {Version: "v2", URL: v2.URL, Weight: 100},
	}})
	if want.Generation != 1 {
		t.Errorf("first applied generation = %d, want 1", want.Generation)
	}
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = p.cmd.Wait()

	p2 := startProcess(t, state)
	got, err := p2.client().Config(ctx)
	if err != nil {
		t.Fatalf("Config after restart: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("config after restart (-before +after):\n%s", diff)
	}
	c := httpClient()
	for range 50 {
		code, version, err := get(c, "GET", "http://"+p2.addrs.Listen+"/contracts/1")
		if err != nil || code != 200 || version != "v2" {
			t.Fatalf("GET after restart = %d %q, %v; want 200 from v2", code, version, err)
		}
	}
	// SIGTERM stops it cleanly.
	if err := p2.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p2.cmd.Wait(); err != nil {
		t.Errorf("router process after SIGTERM: %v, want a clean exit", err)
	}
}

func TestRestartInProcessKeepsGeneration(t *testing.T) {
	state := filepath.Join(t.TempDir(), "router.json")
	r, err := New(Options{StatePath: state})
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Service: "s", Env: "e", Backends: []Backend{{Version: "v1", URL: "http://127.0.0.1:1", Weight: 100}}}
	first, err := r.Apply(cfg)
	if err != nil {
		t.Fatal(err)
	}
	again, err := r.Apply(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if again.Generation != first.Generation {
		t.Errorf("re-applying the same config moved generation %d -> %d, want unchanged", first.Generation, again.Generation)
	}
	cfg.Backends[0].URL = "http://127.0.0.1:2"
	second, err := r.Apply(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := New(Options{StatePath: state})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(second, r2.Config()); diff != "" {
		t.Errorf("config after restart (-want +got):\n%s", diff)
	}
	third, err := r2.Apply(Config{Service: "s", Env: "e"})
	if err != nil {
		t.Fatal(err)
	}
	if third.Generation != 3 {
		t.Errorf("generation after restart and a change = %d, want 3", third.Generation)
	}
	entries, _ := os.ReadDir(filepath.Dir(state))
	if len(entries) != 1 {
		t.Errorf("state directory holds %d entries, want only the state file (no temp files left)", len(entries))
	}
}

func TestInvalidConfigChangesNothing(t *testing.T) {
	v1 := newBackend(t, "v1")
	state := filepath.Join(t.TempDir(), "router.json")
	rt := start(t, Options{StatePath: state})
	good := mustApply(t, rt.client, Config{Service: "contract-api", Env: "prod", Backends: []Backend{{Version: "v1", URL: v1.URL, Weight: 100}}})
	before, err := os.ReadFile(state)
	if err != nil {
		t.Fatal(err)
	}
	bad := []Config{
		{Service: "contract-api", Env: "prod", Backends: []Backend{{Version: "v1", URL: v1.URL, Weight: 60}, {Version: "v2", URL: v1.URL, Weight: 30}}},
		{Service: "contract-api", Env: "prod", Backends: []Backend{{Version: "v1", URL: v1.URL, Weight: -1}, {Version: "v2", URL: v1.URL, Weight: 101}}},
		{Service: "contract-api", Env: "prod", Backends: []Backend{{Version: "v1", URL: "not a url", Weight: 100}}},
		{Service: "contract-api", Env: "prod", Backends: []Backend{{Version: "v1", URL: v1.URL, Weight: 50}, {Version: "v1", URL: v1.URL, Weight: 50}}},
	}
	for _, cfg := range bad {
		_, err := rt.client.Apply(context.Background(), cfg)
		if !isValidation(err) {
			t.Errorf("Apply(%+v) = %v, want a *ValidationError", cfg, err)
		}
	}
	for _, body := range []string{`{"service":`, `{"service":"s","env":"e","backends":[],"extra":1}`, `{"service":"s","env":"e"} {}`} {
		req, _ := http.NewRequest(http.MethodPut, rt.adminURL+"/config", strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("PUT /config %s = %d, want 400", body, resp.StatusCode)
		}
	}
	after, err := os.ReadFile(state)
	if err != nil {
		t.Fatal(err)
	}
	if string(before) != string(after) {
		t.Errorf("state file changed by rejected configs:\nbefore %s\nafter %s", before, after)
	}
	got, err := rt.client.Config(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(good, got); diff != "" {
		t.Errorf("applied config changed by rejected configs (-want +got):\n%s", diff)
	}
}

func TestCorruptStateIsAClearError(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"not json", "{", "remove it"},
		{"invalid config", `{"service":"s","env":"e","generation":4,"backends":[{"version":"v1","url":"http://h","weight":7}]}`, "sum to 7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			state := filepath.Join(t.TempDir(), "router.json")
			if err := os.WriteFile(state, []byte(tt.body), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := New(Options{StatePath: state})
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), state) {
				t.Errorf("New with state %q = %v, want an error naming %s and containing %q", tt.body, err, state, tt.want)
			}
		})
	}
}

func TestPersistFailureChangesNothing(t *testing.T) {
	blocker := filepath.Join(t.TempDir(), "state")
	r, err := New(Options{StatePath: filepath.Join(blocker, "router.json")})
	if err != nil {
		t.Fatal(err)
	}
	// The state's directory becomes a regular file: every write fails.
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = r.Apply(Config{Service: "s", Env: "e", Backends: []Backend{{Version: "v1", URL: "http://127.0.0.1:1", Weight: 100}}})
	if err == nil {
		t.Fatal("Apply with an unwritable state path = nil, want an error")
	}
	if got := r.Config(); got.Generation != 0 || len(got.Backends) != 0 {
		t.Errorf("config after a failed persist = %+v, want the empty generation 0", got)
	}
}
