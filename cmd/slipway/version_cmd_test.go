package main

import (
	"encoding/json"
	goruntime "runtime"
	"strings"
	"testing"
)

func TestVersion(t *testing.T) {
	out, err := runCmd(t, newVersionCmd(), "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var bi buildInfo
	if err := json.Unmarshal([]byte(out), &bi); err != nil {
		t.Fatalf("version -o json: %v\n%s", err, out)
	}
	if bi.GoVersion != goruntime.Version() || bi.Version == "" {
		t.Errorf("version -o json = %+v; want go %s and a version", bi, goruntime.Version())
	}
	out, err = runCmd(t, newVersionCmd())
	if err != nil || !strings.HasPrefix(out, "slipway ") || !strings.Contains(out, goruntime.Version()) {
		t.Errorf("version = %q, %v; want slipway <version> ... %s", out, err, goruntime.Version())
	}
	if _, err := runCmd(t, newVersionCmd(), "-o", "yaml"); err == nil || !strings.Contains(err.Error(), "use -o table or -o json") {
		t.Errorf("version -o yaml: %v; want the formats named", err)
	}
}
