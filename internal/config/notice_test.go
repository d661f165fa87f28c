package config

import (
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNotices(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string
	}{
		{"no pr pipeline", minimal, nil},
		{"pr pipeline", minimal + "  pr:\n    steps: [{name: t, run: go test ./...}]\n",
			[]string{"slipway.yaml:7:3: pipelines.pr: pull-request pipelines are not run yet: Slipway runs branch, main and hotfix pipelines today; pr runs once pull requests come from a forge (the steps are kept)"}},
		{"flow style", "service: api\nbuild: {main: .}\npipelines: {main: {steps: [{name: t, run: x}]}, pr: {steps: [{name: t, run: x}]}}\n",
			[]string{"slipway.yaml:3:49: pipelines.pr: pull-request pipelines are not run yet: Slipway runs branch, main and hotfix pipelines today; pr runs once pull requests come from a forge (the steps are kept)"}},
		{"not YAML", "service: [api\n", nil},
		{"pipelines not a mapping", "pipelines: [pr]\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, p := range Notices("slipway.yaml", []byte(tt.src)) {
				got = append(got, p.String())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Notices (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNoticesContractAPI(t *testing.T) {
	src, err := os.ReadFile("../../examples/contract-api/slipway.yaml")
	if err != nil {
		t.Fatal(err)
	}
	got := Notices("slipway.yaml", src)
	if len(got) != 1 || got[0].Field != "pipelines.pr" || got[0].Line == 0 {
		t.Errorf("Notices(contract-api) = %v, want one located notice about pipelines.pr", got)
	}
}
