// Package main (command worker) is a service instance for the process provider's tests: it burns
// CPU, holds memory, starts a child in its process group and writes log lines when
// asked over HTTP.
package main

import (
	"bufio"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"
)

var held [][]byte

func main() {
	if d := os.Getenv("WORKER_CHILD_CPU"); d != "" {
		child(d)
		return
	}
	http.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	http.HandleFunc("/burn", func(w http.ResponseWriter, r *http.Request) {
		d, err := time.ParseDuration(r.URL.Query().Get("cpu"))
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		burn(d)
		fmt.Fprintln(w, "burned", d)
	})
	http.HandleFunc("/alloc", func(w http.ResponseWriter, r *http.Request) {
		mb, err := strconv.Atoi(r.URL.Query().Get("mb"))
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		b := make([]byte, mb<<20)
		for i := range b {
			b[i] = byte(i) | 1 // touch every page so that it is resident
		}
		held = append(held, b)
		fmt.Fprintln(w, "holding", len(held))
	})
	http.HandleFunc("/child", func(w http.ResponseWriter, r *http.Request) {
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), "WORKER_CHILD_CPU="+r.URL.Query().Get("cpu"))
		out, err := cmd.StdoutPipe()
		if err == nil {
			err = cmd.Start()
		}
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		line, _ := bufio.NewReader(out).ReadString('\n') // the child has burned its CPU
		fmt.Fprint(w, line)
	})
	http.HandleFunc("/log", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		var level slog.Level
		if err := level.UnmarshalText([]byte(q.Get("level"))); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		n, _ := strconv.Atoi(q.Get("n"))
		opts := &slog.HandlerOptions{Level: slog.LevelDebug}
		var log *slog.Logger
		if q.Get("format") == "text" {
			log = slog.New(slog.NewTextHandler(os.Stdout, opts))
		} else {
			log = slog.New(slog.NewJSONHandler(os.Stdout, opts))
		}
		for i := range n {
			log.Log(r.Context(), level, "contract rule evaluated", "i", i, "detail", "level=ERROR inside a value")
		}
		fmt.Fprintln(w, "logged", n)
	})
	if err := http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// child burns its CPU, says so, then waits to be killed with its group.
func child(d string) {
	cpu, err := time.ParseDuration(d)
	if err != nil {
		os.Exit(2)
	}
	burn(cpu)
	fmt.Println("child burned", cpu)
	select {}
}

// burn spins until this process has used d more CPU time.
func burn(d time.Duration) {
	start := cpuTime()
	x := 0
	for cpuTime()-start < d {
		for i := range 100000 {
			x += i
		}
	}
	_ = x
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
