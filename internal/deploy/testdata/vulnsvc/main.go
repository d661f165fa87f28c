// Package main (command vulnsvc) is the service the policy tests deploy: it answers
// its version, and diffs two query values with go-cmp, so its binary links
// (and reaches) a third-party module an OSV fixture names.
package main

import (
	"fmt"
	"net/http"
	"os"

	"github.com/google/go-cmp/cmp"
)

func main() {
	version := os.Getenv("SLIPWAY_VERSION")
	http.HandleFunc("/ready", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ready") })
	http.HandleFunc("/diff", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, cmp.Diff(r.URL.Query().Get("a"), r.URL.Query().Get("b")))
	})
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, version) })
	http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil)
}
