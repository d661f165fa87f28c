// Package registrytest starts a real OCI registry for tests: distribution's
// registry (Debian's docker-registry package) on a free loopback port, with its
// storage in a temporary directory.
package registrytest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// EnvBinary names a registry binary to use instead of docker-registry from PATH.
const EnvBinary = "SLIPWAY_DOCKER_REGISTRY"

// Registry is a running registry.
type Registry struct {
	// Host is 127.0.0.1:<port>; repositories are Host + "/" + path.
	Host string
	// Root is the storage directory: blobs live under
	// docker/registry/v2/blobs/sha256/<2 hex>/<hex>/data.
	Root string
}

// Blob returns the path of the stored blob with digest d ("sha256:<hex>").
func (r Registry) Blob(d string) string {
	hex := strings.TrimPrefix(d, "sha256:")
	return filepath.Join(r.Root, "docker", "registry", "v2", "blobs", "sha256", hex[:2], hex, "data")
}

// Start runs a registry until the test ends, or skips the test when
// docker-registry is not installed.
func Start(t testing.TB) Registry {
	t.Helper()
	bin := os.Getenv(EnvBinary)
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("docker-registry"); err != nil {
			t.Skip("docker-registry is not installed: registry tests skipped (apt-get install docker-registry, or run scripts/test-deps.sh as root)")
		}
	}
	dir := t.TempDir()
	root := filepath.Join(dir, "storage")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host := l.Addr().String()
	l.Close()
	cfg := fmt.Sprintf("version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\nhttp:\n  addr: %s\n", root, host)
	cfgPath := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(dir, "registry.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", cfgPath)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		logf.Close()
	})

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+host+"/v2/", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return Registry{Host: host, Root: root}
			}
		}
		select {
		case err := <-exited:
			log, _ := os.ReadFile(logf.Name())
			t.Fatalf("docker-registry exited before serving: %v\n%s", err, log)
		case <-ctx.Done():
			log, _ := os.ReadFile(logf.Name())
			t.Fatalf("docker-registry did not answer /v2/ on %s in 20s\n%s", host, log)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
