package pipeline

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/slipway/slipway/internal/config"
)

func steps(specs ...string) config.Pipeline {
	// Each spec is "name<-need1,need2".
	var p config.Pipeline
	for _, s := range specs {
		name, needs, _ := strings.Cut(s, "<-")
		st := config.Step{Name: name, Run: "true"}
		if needs != "" {
			st.Needs = strings.Split(needs, ",")
		}
		p.Steps = append(p.Steps, st)
	}
	return p
}

func TestPlanOrder(t *testing.T) {
	g, err := Plan(steps("deploy<-test,lint", "test<-build", "lint", "build"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range g.Steps() {
		got = append(got, s.Name)
	}
	if diff := cmp.Diff([]string{"build", "test", "lint", "deploy"}, got); diff != "" {
		t.Errorf("Plan order mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"deploy"}, g.Dependants("lint")); diff != "" {
		t.Errorf("Dependants(lint) mismatch (-want +got):\n%s", diff)
	}
}

func TestPlanErrors(t *testing.T) {
	tests := []struct {
		name string
		p    config.Pipeline
		want []string // substrings of the error
	}{
		{"duplicate", steps("build", "build"), []string{`step "build" is defined twice`}},
		{"unknown need", steps("build", "test<-biuld"), []string{`step "test" needs "biuld", which is not a step of this pipeline (steps: build, test)`}},
		{"self", steps("build<-build"), []string{`step "build" needs itself`}},
		{"cycle", steps("a<-c", "b<-a", "c<-b", "d"), []string{"steps form a cycle: a -> c -> b -> a"}},
		{"no name", config.Pipeline{Steps: []config.Step{{Run: "true"}}}, []string{"step 1 has no name"}},
		{"no run", config.Pipeline{Steps: []config.Step{{Name: "x"}}}, []string{`step "x" has no run command`}},
		{"all at once", steps("a<-zz", "a", "b<-yy"), []string{`"a" is defined twice`, `needs "zz"`, `needs "yy"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Plan(tt.p)
			if err == nil {
				t.Fatal("Plan succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Plan error = %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

func TestMatchGlob(t *testing.T) {
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"go.mod", "go.mod", true},
		{"*.go", "main.go", true},
		{"*.go", "pkg/a.go", false},
		{"**/*.go", "main.go", true},
		{"**/*.go", "pkg/sub/a.go", true},
		{"pkg/**", "pkg/sub/a.go", true},
		{"pkg", "pkg/sub/a.go", true},
		{"pkg/**/a.go", "pkg/a.go", true},
		{"pkg/**/a.go", "pkg/x/y/a.go", true},
		{"pkg/**/a.go", "other/a.go", false},
		{"api/*.yaml", "api/openapi.yaml", true},
		{"api/*.yaml", "api/v2/openapi.yaml", false},
	}
	for _, tt := range tests {
		if got := matchGlob(tt.pattern, tt.name); got != tt.want {
			t.Errorf("matchGlob(%q, %q) = %v, want %v", tt.pattern, tt.name, got, tt.want)
		}
	}
}

func TestRenderErrors(t *testing.T) {
	if got, err := render("test", "go test {{.AffectedPackages}} # {{.Commit}}", Vars{Commit: "abc", AffectedPackages: "./a ./b"}); err != nil || got != "go test ./a ./b # abc" {
		t.Errorf("render = %q, %v", got, err)
	}
	for _, cmd := range []string{"echo {{.Nope}}", "echo {{.Commit"} {
		_, err := render("unit-tests", cmd, Vars{})
		if err == nil || !strings.Contains(err.Error(), `step "unit-tests"`) {
			t.Errorf("render(%q) error = %v, want one naming the step", cmd, err)
		}
	}
}
