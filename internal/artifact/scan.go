package artifact

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"golang.org/x/vuln/scan"
)

// embeddedDB is the OSV database shipped with Slipway: a few real Go
// advisories, one file per entry named <ID>.json.
//
//go:embed vulndb/*.json
var embeddedDB embed.FS

// Report is the vulnerability report stored next to an artifact. Its SHA-256 is
// signed, bound to the artifact's digest (see the scan statement), so a report
// replaced later is refused.
type Report struct {
	Scanner string `json:"scanner"` // e.g. "govulncheck v1.9.0"
	DB      string `json:"db"`      // which database was used
	// DBModified is when the database was last modified (index/db.json's
	// modified, or the newest entry's): how old the knowledge behind the report is.
	DBModified time.Time `json:"db_modified"`
	// ScannedAt is when the scan ran; with DBModified it says how old the
	// database was (see DBAge). Zero in reports made before it was recorded.
	ScannedAt time.Time `json:"scanned_at,omitzero"`
	Mode      string    `json:"mode"` // "binary"
	// Reachable counts findings whose vulnerable symbol is in the binary.
	Reachable int       `json:"reachable"`
	Findings  []Finding `json:"findings"` // sorted by ID, then module
	// Note says why nothing was scanned, for a binary the scanner cannot read.
	Note string `json:"note,omitempty"`
}

// notScanned is the report of a binary without Go build information: govulncheck
// reads Go binaries only, so no finding is claimed either way.
func notScanned(binary, format string) Report {
	return Report{Scanner: "none", Mode: "none", Findings: []Finding{},
		Note: fmt.Sprintf("%s (%s) has no Go build information; govulncheck scans Go binaries only: scan it with a tool for its language in the pipeline", binary, format)}
}

// Finding is one advisory affecting one module of the binary.
type Finding struct {
	ID      string   `json:"id"`                // OSV id, e.g. GO-2023-2102
	Aliases []string `json:"aliases,omitempty"` // CVE and GHSA ids
	Module  string   `json:"module"`            // module path; "stdlib" for the standard library
	Package string   `json:"package"`           // affected package, or the module when only the module is known
	Version string   `json:"version"`           // version found in the binary
	Fixed   string   `json:"fixed,omitempty"`   // first fixed version; empty when there is no fix
	Summary string   `json:"summary"`
	URL     string   `json:"url,omitempty"`
	// Level says how close the binary is to the vulnerable code: "symbol"
	// (a vulnerable function is linked in), "package" (a vulnerable package
	// is linked in) or "module" (only the module version matches).
	Level   string   `json:"level"`
	Symbols []string `json:"symbols,omitempty"`
	// Reachable is govulncheck's verdict that the vulnerable code can run: in
	// binary mode, a vulnerable symbol survived the linker's dead-code
	// elimination (Level "symbol"). Otherwise the module is merely present.
	Reachable bool `json:"reachable"`
	// Severity is low, medium, high or critical, or empty when the record rates
	// none (see severityOf); SeveritySource says where it came from.
	Severity       string `json:"severity,omitempty"`
	SeveritySource string `json:"severity_source,omitempty"`
}

// ReadReport reads a report written by Build (Artifact.Scan).
func ReadReport(path string) (Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Report{}, fmt.Errorf("read scan report: %w", err)
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return Report{}, fmt.Errorf("read scan report %s: %w", path, err)
	}
	return r, nil
}

// scanBinary runs govulncheck in-process, offline, in binary mode.
func (s *Store) scanBinary(ctx context.Context, binary string) (Report, error) {
	started := time.Now().UTC().Truncate(time.Second)
	dbDir, embedded := s.vulnDB, s.vulnDB == ""
	if embedded {
		tmp, err := os.MkdirTemp(s.dir, ".vulndb-")
		if err != nil {
			return Report{}, fmt.Errorf("scan: %w", err)
		}
		defer os.RemoveAll(tmp)
		if err := writeEmbeddedDB(tmp); err != nil {
			return Report{}, fmt.Errorf("scan: %w", err)
		}
		dbDir = tmp
	} else {
		abs, err := filepath.Abs(dbDir)
		if err != nil {
			return Report{}, fmt.Errorf("scan: vulnerability database %s: %w", dbDir, err)
		}
		if fi, err := os.Stat(abs); err != nil || !fi.IsDir() {
			return Report{}, fmt.Errorf("scan: vulnerability database %s is not a directory: give an OSV database directory, the layout govulncheck reads with -db file:///DIR (vuln.go.dev's vulndb.zip unpacked, or <ID>.json files)", dbDir)
		}
		dbDir = abs
	}
	db, err := openVulnDB(dbDir)
	if err != nil {
		return Report{}, fmt.Errorf("scan: vulnerability database %s: %w", dbDir, err)
	}
	dbURL := (&url.URL{Scheme: "file", Path: filepath.ToSlash(dbDir)}).String()
	label := fmt.Sprintf("%s (%d advisories)", dbURL, db.count)
	if embedded {
		label = fmt.Sprintf("slipway embedded OSV database (%d advisories; a demonstration: point artifacts.vulndb or %s at a real one)", db.count, EnvVulnDB)
	}

	var stdout, stderr bytes.Buffer
	cmd := scan.Command(ctx, "-mode", "binary", "-db", dbURL, "-format", "json", binary)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		return Report{}, fmt.Errorf("scan %s: %w", binary, err)
	}
	if err := cmd.Wait(); err != nil {
		return Report{}, fmt.Errorf("scan %s with %s: %w: %s", binary, label, err, strings.TrimSpace(stderr.String()))
	}
	findings, err := parseGovulncheck(&stdout)
	if err != nil {
		return Report{}, fmt.Errorf("scan %s: %w", binary, err)
	}
	r := Report{Scanner: scannerName(), DB: label, DBModified: db.modified.UTC(), ScannedAt: started, Mode: "binary", Findings: findings}
	for i := range r.Findings {
		f := &r.Findings[i]
		f.Reachable = f.Level == "symbol"
		if f.Reachable {
			r.Reachable++
		}
		if rec, err := db.entry(f.ID); err == nil {
			f.Severity, f.SeveritySource = severityOf(rec)
		}
	}
	return r, nil
}

func writeEmbeddedDB(dir string) error {
	entries, err := fs.ReadDir(embeddedDB, "vulndb")
	if err != nil {
		return err
	}
	for _, e := range entries {
		b, err := embeddedDB.ReadFile("vulndb/" + e.Name())
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func scannerName() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "golang.org/x/vuln" {
				return "govulncheck " + d.Version
			}
		}
	}
	return "govulncheck"
}

// govulncheck -format json writes a stream of objects, each with one field.
type govulnMessage struct {
	OSV *struct {
		ID               string   `json:"id"`
		Summary          string   `json:"summary"`
		Details          string   `json:"details"`
		Aliases          []string `json:"aliases"`
		DatabaseSpecific struct {
			URL string `json:"url"`
		} `json:"database_specific"`
	} `json:"osv"`
	Finding *struct {
		OSV          string `json:"osv"`
		FixedVersion string `json:"fixed_version"`
		Trace        []struct {
			Module   string `json:"module"`
			Version  string `json:"version"`
			Package  string `json:"package"`
			Function string `json:"function"`
			Receiver string `json:"receiver"`
		} `json:"trace"`
	} `json:"finding"`
}

var levelRank = map[string]int{"module": 0, "package": 1, "symbol": 2}

// parseGovulncheck folds govulncheck's findings (one per level and symbol)
// into one Finding per advisory and module, at the deepest level seen.
func parseGovulncheck(r io.Reader) ([]Finding, error) {
	dec := json.NewDecoder(r)
	type key struct{ id, module string }
	byKey := map[key]*Finding{}
	var order []key
	type osvInfo struct {
		summary, url string
		aliases      []string
	}
	osvs := map[string]osvInfo{}
	for {
		var m govulnMessage
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read govulncheck output: %w", err)
		}
		if o := m.OSV; o != nil {
			sum := o.Summary
			if sum == "" {
				sum, _, _ = strings.Cut(strings.TrimSpace(o.Details), "\n")
			}
			osvs[o.ID] = osvInfo{summary: sum, url: o.DatabaseSpecific.URL, aliases: o.Aliases}
		}
		f := m.Finding
		if f == nil || len(f.Trace) == 0 {
			continue
		}
		top := f.Trace[0]
		k := key{f.OSV, top.Module}
		got, ok := byKey[k]
		if !ok {
			got = &Finding{ID: f.OSV, Module: top.Module, Package: top.Module, Version: top.Version, Fixed: f.FixedVersion, Level: "module"}
			byKey[k] = got
			order = append(order, k)
		}
		level := "module"
		switch {
		case top.Function != "":
			level = "symbol"
			sym := top.Function
			if top.Receiver != "" {
				sym = strings.TrimPrefix(top.Receiver, "*") + "." + sym
			}
			got.Symbols = appendUnique(got.Symbols, top.Package+"."+sym)
		case top.Package != "":
			level = "package"
		}
		if top.Package != "" && (got.Package == got.Module || levelRank[level] > levelRank[got.Level]) {
			got.Package = top.Package
		}
		if levelRank[level] > levelRank[got.Level] {
			got.Level = level
		}
	}
	out := make([]Finding, 0, len(order))
	for _, k := range order {
		f := *byKey[k]
		info := osvs[f.ID]
		f.Summary, f.URL, f.Aliases = info.summary, info.url, info.aliases
		sort.Strings(f.Symbols)
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].ID != out[j].ID {
			return out[i].ID < out[j].ID
		}
		return out[i].Module < out[j].Module
	})
	return out, nil
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}
