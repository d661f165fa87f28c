package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/slipway/slipway/internal/router"
)

// startUpstream starts one upstream instance playing version and returns its base URL.
func startUpstream(ctx context.Context, ps *procs, bin, version string) (string, error) {
	p, out, err := ps.start("upstream-"+version, nil, bin, "-listen", "127.0.0.1:0", "-version", version)
	if err != nil {
		return "", err
	}
	var ready struct {
		Listen string `json:"listen"`
	}
	if err := readJSONLine(p, out, 10*time.Second, &ready); err != nil {
		return "", err
	}
	base := "http://" + ready.Listen
	if err := waitHTTP(ctx, p, base+benchPath, 10*time.Second); err != nil {
		return "", err
	}
	return base, nil
}

// startBareProxy starts the standard library's reverse proxy in front of upstream.
func startBareProxy(ctx context.Context, ps *procs, bin, upstream string) (string, *proc, error) {
	p, out, err := ps.start("bareproxy", nil, bin, "-listen", "127.0.0.1:0", "-upstream", upstream)
	if err != nil {
		return "", nil, err
	}
	var ready struct {
		Listen string `json:"listen"`
	}
	if err := readJSONLine(p, out, 10*time.Second, &ready); err != nil {
		return "", nil, err
	}
	base := "http://" + ready.Listen
	if err := waitHTTP(ctx, p, base+benchPath, 10*time.Second); err != nil {
		return "", nil, err
	}
	return base, p, nil
}

// startRouter starts `slipway router` as its own process, with env added to its
// environment, and returns its data plane base URL and an admin client.
func startRouter(ctx context.Context, ps *procs, slipway, dir string, env []string) (string, *router.Client, *proc, error) {
	readyFile := filepath.Join(dir, "router-ready.json")
	_ = os.Remove(readyFile)
	p, _, err := ps.start("router", env, slipway, "router",
		"--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0",
		"--state", filepath.Join(dir, "r.json"), "--ready-file", readyFile)
	if err != nil {
		return "", nil, nil, err
	}
	var ready router.Ready
	if err := waitFile(ctx, p, readyFile, 30*time.Second, &ready); err != nil {
		return "", nil, nil, err
	}
	admin := &router.Client{AdminURL: "http://" + ready.Admin}
	return "http://" + ready.Listen, admin, p, nil
}

// startNginx starts nginx in the foreground proxying to upstream (a base URL) with
// keepalive connections, from a config written into dir/nginx.
func startNginx(ctx context.Context, ps *procs, nginx, dir, upstream string) (string, *proc, error) {
	prefix := filepath.Join(dir, "nginx")
	if err := os.MkdirAll(filepath.Join(prefix, "tmp"), 0o755); err != nil {
		return "", nil, fmt.Errorf("nginx prefix: %w", err)
	}
	port, err := freePort()
	if err != nil {
		return "", nil, err
	}
	conf := filepath.Join(prefix, "nginx.conf")
	if err := os.WriteFile(conf, []byte(nginxConf(prefix, port, upstream[len("http://"):])), 0o644); err != nil {
		return "", nil, fmt.Errorf("write nginx config: %w", err)
	}
	p, _, err := ps.start("nginx", nil, nginx, "-p", prefix, "-c", conf, "-e", filepath.Join(prefix, "error.log"))
	if err != nil {
		return "", nil, err
	}
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	if err := waitHTTP(ctx, p, base+benchPath, 10*time.Second); err != nil {
		return "", nil, err
	}
	return base, p, nil
}

// nginxConf is a minimal reverse proxy: two workers (the router gets the same two
// cores), keepalive to the upstream, no access log.
func nginxConf(prefix string, port int, upstream string) string {
	return fmt.Sprintf(`daemon off;
master_process on;
worker_processes 2;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events {
    worker_connections 1024;
}
http {
    access_log off;
    client_body_temp_path %[1]s/tmp/body;
    proxy_temp_path %[1]s/tmp/proxy;
    fastcgi_temp_path %[1]s/tmp/fastcgi;
    uwsgi_temp_path %[1]s/tmp/uwsgi;
    scgi_temp_path %[1]s/tmp/scgi;
    upstream bench {
        server %[3]s;
        keepalive 64;
    }
    server {
        listen 127.0.0.1:%[2]d;
        location / {
            proxy_pass http://bench;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
`, prefix, port, upstream)
}

// freePort asks the kernel for a free loopback port (nginx cannot listen on port 0).
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
