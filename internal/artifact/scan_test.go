package artifact

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestBuildReportsVulnerabilities(t *testing.T) {
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), "store"), WithVulnDB(filepath.Join("testdata", "vulndb-affected")))
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.Build(ctx, helloInput(helloSource(t), "2.0.0", nil))
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	if a.Vulnerabilities != 2 {
		t.Errorf("Vulnerabilities = %d, want 2", a.Vulnerabilities)
	}
	r, err := ReadReport(a.Scan)
	if err != nil {
		t.Fatal(err)
	}
	gov := "v" + strings.TrimPrefix(runtime.Version(), "go")
	want := []Finding{
		{
			ID:        "GO-2099-0001",
			Aliases:   []string{"CVE-2099-0001"},
			Module:    "github.com/google/go-cmp",
			Package:   "github.com/google/go-cmp/cmp",
			Version:   "v0.7.0",
			Fixed:     "v0.8.0",
			Summary:   "Test fixture: go-cmp Diff before v0.8.0",
			URL:       "https://slipway.invalid/vuln/GO-2099-0001",
			Level:     "symbol",
			Symbols:   []string{"github.com/google/go-cmp/cmp.Diff"},
			Reachable: true,
		},
		{
			ID:        "GO-2099-0002",
			Module:    "stdlib",
			Package:   "fmt",
			Version:   gov,
			Fixed:     "v1.99.0",
			Summary:   "Test fixture: every Go release before 1.99 in package fmt",
			URL:       "https://slipway.invalid/vuln/GO-2099-0002",
			Level:     "symbol",
			Symbols:   []string{"fmt.Println"},
			Reachable: true,
		},
	}
	if diff := cmp.Diff(want, r.Findings); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(r.Scanner, "govulncheck") || r.Mode != "binary" || !strings.HasPrefix(r.DB, "file://") {
		t.Errorf("report header = %q %q %q, want govulncheck, binary, a file:// database", r.Scanner, r.Mode, r.DB)
	}
}

// TestScanDatabases scans the binary of the shared artifact against several
// databases.
func TestScanDatabases(t *testing.T) {
	ctx := context.Background()
	s, a, _ := sharedBuild(t)
	bin, err := s.Extract(ctx, a.Digest, t.TempDir(), Policy{})
	if err != nil {
		t.Fatal(err)
	}
	badName := t.TempDir()
	b, err := os.ReadFile(filepath.Join("testdata", "vulndb-clean", "GO-2099-0003.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(badName, "advisory.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		db      string // "" means the embedded database
		want    []string
		wantErr string
	}{
		{name: "embedded", db: "", want: nil},
		{name: "clean", db: filepath.Join("testdata", "vulndb-clean"), want: nil},
		{name: "affected", db: filepath.Join("testdata", "vulndb-affected"), want: []string{"GO-2099-0001", "GO-2099-0002"}},
		{name: "missing", db: filepath.Join(t.TempDir(), "nope"), wantErr: "is not a directory: give an OSV database directory"},
		{name: "misnamed entry", db: badName, wantErr: "<ID>.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			scanner := &Store{dir: t.TempDir(), vulnDB: tt.db}
			r, err := scanner.scanBinary(ctx, bin)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("scanBinary error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("scanBinary: %v", err)
			}
			var ids []string
			for _, f := range r.Findings {
				ids = append(ids, f.ID)
			}
			if diff := cmp.Diff(tt.want, ids); diff != "" {
				t.Errorf("finding ids (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseGovulncheckLevels(t *testing.T) {
	// Three findings for one advisory at rising levels, as govulncheck emits
	// them, plus a module-only finding for another advisory.
	stream := `
{"osv":{"id":"GO-1","summary":"","details":"First line.\nMore.","aliases":["CVE-1"],"database_specific":{"url":"u1"}}}
{"finding":{"osv":"GO-1","fixed_version":"v1.1.0","trace":[{"module":"m","version":"v1.0.0"}]}}
{"finding":{"osv":"GO-1","fixed_version":"v1.1.0","trace":[{"module":"m","version":"v1.0.0","package":"m/p"}]}}
{"finding":{"osv":"GO-1","fixed_version":"v1.1.0","trace":[{"module":"m","version":"v1.0.0","package":"m/p","function":"Do","receiver":"*T"},{"module":"main"}]}}
{"osv":{"id":"GO-0","summary":"zero"}}
{"finding":{"osv":"GO-0","trace":[{"module":"n","version":"v0.1.0"}]}}
`
	got, err := parseGovulncheck(strings.NewReader(stream))
	if err != nil {
		t.Fatal(err)
	}
	want := []Finding{
		{ID: "GO-0", Module: "n", Package: "n", Version: "v0.1.0", Summary: "zero", Level: "module"},
		{ID: "GO-1", Aliases: []string{"CVE-1"}, Module: "m", Package: "m/p", Version: "v1.0.0", Fixed: "v1.1.0",
			Summary: "First line.", URL: "u1", Level: "symbol", Symbols: []string{"m/p.T.Do"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("parseGovulncheck (-want +got):\n%s", diff)
	}
	if _, err := parseGovulncheck(strings.NewReader(`{"finding": [`)); err == nil {
		t.Errorf("parseGovulncheck(truncated) = nil error, want one")
	}
}
