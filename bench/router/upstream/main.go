// Package main (command upstream) is the backend of the router benchmarks: a small, fast HTTP
// server answering every request with the same small JSON body, tagged with the
// version it plays.
//
//	upstream -listen 127.0.0.1:0 -version A
//
// Once listening it prints one JSON line {"listen":"127.0.0.1:40123"} on stdout.
// A query delay_ms=N holds the answer N milliseconds (0 to 1000), so a load test
// keeps requests in flight while the router switches versions.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "upstream:", err)
		os.Exit(1)
	}
}

func run() error {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on (port 0 picks a free port)")
	version := flag.String("version", "A", "version this instance plays; echoed in the body and X-Upstream-Version")
	flag.Parse()
	if *version == "" {
		return errors.New("-version is empty: name the version this instance plays")
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var lc net.ListenConfig
	l, err := lc.Listen(ctx, "tcp", *listen)
	if err != nil {
		return fmt.Errorf("listen %q: %w", *listen, err)
	}
	srv := &http.Server{Handler: newHandler(*version), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()

	line, _ := json.Marshal(map[string]string{"listen": l.Addr().String()})
	fmt.Println(string(line))

	select {
	case err := <-errc:
		return fmt.Errorf("serve %s: %w", l.Addr(), err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

// newHandler answers every request with a fixed body naming version.
func newHandler(version string) http.Handler {
	body := []byte(fmt.Sprintf(`{"id":42,"status":"active","plan":"standard","version":%q}`+"\n", version))
	length := []string{strconv.Itoa(len(body))}
	ctype := []string{"application/json"}
	vh := []string{version}
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.RawQuery != "" {
			if d, err := delay(req.URL.Query().Get("delay_ms")); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			} else if d > 0 {
				time.Sleep(d)
			}
		}
		h := w.Header()
		h["Content-Type"] = ctype
		h["Content-Length"] = length
		h["X-Upstream-Version"] = vh
		w.Write(body)
	})
}

// delay parses the delay_ms query value; empty is no delay.
func delay(v string) (time.Duration, error) {
	if v == "" {
		return 0, nil
	}
	ms, err := strconv.Atoi(v)
	if err != nil || ms < 0 || ms > 1000 {
		return 0, fmt.Errorf("delay_ms %q: use whole milliseconds from 0 to 1000", v)
	}
	return time.Duration(ms) * time.Millisecond, nil
}
