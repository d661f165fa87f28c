package main

import (
	"encoding/json"
	"testing"
)

func TestDeploymentRecordCandidates(t *testing.T) {
	for _, tt := range []struct {
		raw  string
		want int
	}{
		{`{"version":"1","pending":{"version":"2","instances":[{"url":"http://a"},{"url":"http://b"}],"instance":{"url":"http://a"}}}`, 2},
		{`{"version":"1","pending":{"version":"2","instance":{"url":"http://a"}}}`, 1},
		{`{"version":"1"}`, 0},
	} {
		var d deploymentRecord
		if err := json.Unmarshal([]byte(tt.raw), &d); err != nil {
			t.Fatal(err)
		}
		if len(d.Candidates) != tt.want || d.Version != "1" {
			t.Errorf("decode %s: %d candidates, version %q; want %d, version 1", tt.raw, len(d.Candidates), d.Version, tt.want)
		}
	}
}
