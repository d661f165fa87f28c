package router

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"time"
)

type proxyKey struct{ service, env, version, url string }

// proxy is one backend's reverse proxy with its own connection pool.
type proxy struct {
	rp        *httputil.ReverseProxy
	transport *http.Transport
}

func newProxy(k proxyKey, log *slog.Logger) (*proxy, error) {
	target, err := url.Parse(k.url)
	if err != nil {
		return nil, fmt.Errorf("backend %s url %q: %w", k.version, k.url, err)
	}
	transport := &http.Transport{
		Proxy: nil, // talk to the backend directly, whatever HTTP_PROXY says
		DialContext: (&net.Dialer{
			Timeout:   5 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          512,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
	}
	version := []string{k.version}
	blog := log.With("service", k.service, "env", k.env, "version", k.version)
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.SetXForwarded()
		},
		Transport: transport,
		ModifyResponse: func(resp *http.Response) error {
			resp.Header[HeaderVersion] = version
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, req *http.Request, err error) {
			w.Header()[HeaderVersion] = version
			if req.Context().Err() != nil {
				w.WriteHeader(StatusClientClosed)
				return
			}
			blog.Warn("backend unreachable", "url", k.url, "err", err)
			http.Error(w, fmt.Sprintf("slipway router: version %s of %s is unreachable", k.version, k.service),
				http.StatusBadGateway)
		},
		ErrorLog:   slog.NewLogLogger(blog.Handler(), slog.LevelWarn),
		BufferPool: copyBuffers,
	}
	return &proxy{rp: rp, transport: transport}, nil
}

// copyBuffers recycles the 32 KiB buffers the proxies copy response bodies through,
// instead of allocating one per request.
var copyBuffers = &bufferPool{}

type bufferPool struct{ pool sync.Pool }

func (p *bufferPool) Get() []byte {
	if b, ok := p.pool.Get().(*[]byte); ok {
		return *b
	}
	return make([]byte, 32<<10)
}

func (p *bufferPool) Put(b []byte) {
	p.pool.Put(&b)
}
