package examples

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// legacyContract has no terms, like the ~2% of contracts signed before terms existed.
const legacyContract = `{"id":"C-0007","customer_id":"CUST-3","product":"fiber-500","amount_cents":99900,"currency":"EUR","start_date":"2019-03-01","end_date":"2020-03-01","auto_renew":true}`

// TestContractAPIStory replays the story's history of contract-api: the 1.11.3 tree,
// then each overlay in _story in order. At every state the service's own tests pass,
// and the built binary answers a legacy contract the way the story says: 200, then 500
// (the bug, logged with its request id), then 200 again after the fix.
func TestContractAPIStory(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs contract-api three times")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	src := filepath.Join("contract-api")
	dir := t.TempDir()
	if err := copyTree(src, dir, func(rel string) bool { return rel == "_story" }); err != nil {
		t.Fatalf("copy contract-api: %v", err)
	}

	states := []struct {
		overlay, subject, version string
		legacyStatus              int
	}{
		{"", "", "1.11.3", http.StatusOK},
		{"01-feat-contract-rule-validation", "feat(domain): add contract rule validation", "1.12.0", http.StatusInternalServerError},
		{"02-fix-contract-rule-null-case", "fix(domain): handle legacy contract edge case", "1.12.1", http.StatusOK},
	}
	for _, st := range states {
		name := st.overlay
		if name == "" {
			name = "00-base"
		}
		if !t.Run(name, func(t *testing.T) {
			if st.overlay != "" {
				overlay := filepath.Join(src, "_story", st.overlay)
				msg, err := os.ReadFile(filepath.Join(overlay, "COMMIT_MSG"))
				if err != nil {
					t.Fatalf("read COMMIT_MSG: %v", err)
				}
				lines := strings.Split(strings.TrimSpace(string(msg)), "\n")
				if lines[0] != st.subject || len(lines) < 3 || lines[1] != "" {
					t.Errorf("COMMIT_MSG = %q, want subject %q, a blank line and a body", msg, st.subject)
				}
				if err := copyTree(overlay, dir, func(rel string) bool { return rel == "COMMIT_MSG" }); err != nil {
					t.Fatalf("apply overlay: %v", err)
				}
			}
			goCmd(t, goBin, dir, "vet", "./...")
			goCmd(t, goBin, dir, "test", "-count=1", "./...")
			bin := filepath.Join(t.TempDir(), "contract-api")
			goCmd(t, goBin, dir, "build", "-ldflags", "-X main.version="+st.version, "-o", bin, "./cmd/contract-api")
			checkLegacyRequest(t, bin, st.version, st.legacyStatus)
		}) {
			t.FailNow() // later states build on this one
		}
	}
}

func goCmd(t *testing.T, goBin, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command(goBin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOTOOLCHAIN=local", "GOFLAGS=-buildvcs=false")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// lockedBuffer collects a process's log lines.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) add(line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.WriteString(line + "\n")
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// checkLegacyRequest starts the binary on a free port, checks its version, sends a
// legacy contract and compares the status with want, then stops it with SIGTERM.
func checkLegacyRequest(t *testing.T, bin, version string, want int) {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "HOST=127.0.0.1", "PORT=0")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start contract-api: %v", err)
	}
	exited := make(chan error, 1)
	var logs lockedBuffer
	addrs := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
		for sc.Scan() {
			logs.add(sc.Text())
			var entry struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &entry) == nil && entry.Msg == "listening" {
				addrs <- entry.Addr
			}
		}
		exited <- cmd.Wait()
	}()
	stopped := false
	defer func() {
		if !stopped {
			_ = cmd.Process.Kill()
			<-exited
		}
	}()

	var addr string
	select {
	case addr = <-addrs:
	case err := <-exited:
		stopped = true
		t.Fatalf("contract-api exited before listening: %v\n%s", err, logs.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("contract-api did not log its address within 30s:\n%s", logs.String())
	}
	base := "http://" + addr

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if code, body := request(ctx, "GET", base+"/version", ""); code != 200 || body != `{"version":"`+version+`"}` {
		t.Errorf("GET /version = %d %s, want the stamped version %s", code, body, version)
	}
	code, body := request(ctx, "POST", base+"/v1/contracts/validate", legacyContract)
	if code != want {
		t.Errorf("POST legacy contract = %d %s, want status %d", code, body, want)
	}
	if want == http.StatusInternalServerError && body != `{"error":"internal error"}` {
		t.Errorf("500 body = %s, want {\"error\":\"internal error\"}", body)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		stopped = true
		if err != nil {
			t.Errorf("contract-api exit after SIGTERM = %v, want a clean exit\n%s", err, logs.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("contract-api did not stop within 20s of SIGTERM")
	}

	out := logs.String()
	panicked := strings.Contains(out, `"msg":"panic serving request"`)
	if want == http.StatusInternalServerError {
		if !panicked || !strings.Contains(out, `"level":"ERROR"`) || !strings.Contains(out, `"request_id":`) {
			t.Errorf("the 500 left no error log with a request id:\n%s", out)
		}
	} else if panicked {
		t.Errorf("contract-api panicked:\n%s", out)
	}
	if !strings.Contains(out, `"version":"`+version+`"`) {
		t.Errorf("logs do not carry version %s:\n%s", version, out)
	}
}

// request sends one request and returns its status and trimmed body; a transport
// failure is reported as status 0 with the error as body.
func request(ctx context.Context, method, url, body string) (int, string) {
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if err != nil {
		return 0, err.Error()
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err.Error()
	}
	return resp.StatusCode, strings.TrimSpace(string(b))
}

// copyTree copies the regular files under src into dst, keeping relative paths and
// skipping the entries skip names (relative, slash-separated).
func copyTree(src, dst string, skip func(rel string) bool) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if rel != "." && skip(filepath.ToSlash(rel)) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
}
