package artifact

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/slipway/slipway/internal/config"
)

func TestCVSS3Score(t *testing.T) {
	tests := []struct {
		vector string
		want   float64
	}{
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1},
		{"CVSS:3.0/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 1.8},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0},
	}
	for _, tt := range tests {
		got, err := cvss3Score(tt.vector)
		if err != nil || got != tt.want {
			t.Errorf("cvss3Score(%q) = %v, %v, want %v", tt.vector, got, err, tt.want)
		}
	}
	for _, bad := range []string{"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "7.5"} {
		if _, err := cvss3Score(bad); err == nil {
			t.Errorf("cvss3Score(%q) = nil error, want one", bad)
		}
	}
}

func TestSeverityOf(t *testing.T) {
	tests := []struct {
		name, record, want, source string
	}{
		{"github rating", `{"database_specific":{"severity":"MODERATE"}}`, "medium", "database_specific.severity MODERATE"},
		{"rating on the package", `{"affected":[{"database_specific":{"severity":"CRITICAL"}}]}`, "critical", "database_specific.severity CRITICAL"},
		{"cvss v3", `{"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"}]}`, "high", "CVSS 7.5 CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"},
		{"go advisory rates nothing", `{"id":"GO-2024-0001","database_specific":{"url":"u"}}`, "", ""},
		{"cvss v4 is not scored", `{"severity":[{"type":"CVSS_V4","score":"CVSS:4.0/AV:N"}]}`, "", ""},
	}
	for _, tt := range tests {
		sev, src := severityOf([]byte(tt.record))
		if sev != tt.want || src != tt.source {
			t.Errorf("%s: severityOf = %q, %q, want %q, %q", tt.name, sev, src, tt.want, tt.source)
		}
	}
}

func TestJudge(t *testing.T) {
	report := Report{Findings: []Finding{
		{ID: "GO-1", Aliases: []string{"CVE-1"}, Module: "a", Version: "v1.0.0", Severity: "high", Level: "symbol", Reachable: true},
		{ID: "GO-2", Module: "b", Version: "v1.0.0", Severity: "", Level: "module"},
		{ID: "GO-3", Module: "c", Version: "v1.0.0", Severity: "low", Level: "symbol", Reachable: true},
		{ID: "GO-4", Module: "d", Version: "v1.0.0", Severity: "critical", Level: "module"},
	}}
	now := time.Date(2027, 1, 31, 12, 0, 0, 0, time.UTC)
	decisions := func(js []Judgement) []string {
		var out []string
		for _, j := range js {
			out = append(out, j.ID+" "+j.Severity+" "+j.Decision)
		}
		return out
	}
	tests := []struct {
		name    string
		gate    config.VulnGate
		at      time.Time
		want    []string
		blocked bool
	}{
		{"block high", config.VulnGate{Block: "high", Unknown: "high"}, now,
			[]string{"GO-1 high blocks", "GO-2 high blocks", "GO-3 low below", "GO-4 critical blocks"}, true},
		{"unrated as medium, reachable only", config.VulnGate{Block: "high", Unknown: "medium", Reachable: true}, now,
			[]string{"GO-1 high blocks", "GO-2 medium below", "GO-3 low below", "GO-4 critical unreachable"}, true},
		{"allowed by alias until its day ends", config.VulnGate{Block: "critical", Unknown: "low",
			Allow: []config.Allowance{{ID: "CVE-4", Until: "2027-01-31", Reason: "r"}, {ID: "go-4", Until: "2027-01-31", Reason: "r"}}}, now,
			[]string{"GO-1 high below", "GO-2 low below", "GO-3 low below", "GO-4 critical allowed"}, false},
		{"expired the next day", config.VulnGate{Block: "critical", Unknown: "low",
			Allow: []config.Allowance{{ID: "GO-4", Until: "2027-01-31", Reason: "r"}}}, now.Add(12 * time.Hour),
			[]string{"GO-1 high below", "GO-2 low below", "GO-3 low below", "GO-4 critical blocks"}, true},
	}
	for _, tt := range tests {
		js, err := judge(&tt.gate, report, tt.at, "prod", "environments[prod].policy.vulnerabilities in slipway.yaml", "sha256:x")
		if diff := cmp.Diff(tt.want, decisions(js)); diff != "" {
			t.Errorf("%s: judgements (-want +got):\n%s", tt.name, diff)
		}
		if errors.Is(err, ErrVulnerable) != tt.blocked {
			t.Errorf("%s: judge error = %v, want blocked %v", tt.name, err, tt.blocked)
		}
	}
}

func TestLoadSigner(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "k.key")
	if err := createKeyFile(path); err != nil {
		t.Fatal(err)
	}
	pemBytes, _ := os.ReadFile(path)
	fromFile, err := LoadSigner(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("SLIPWAY_TEST_KEY_PEM", string(pemBytes))
	fromVar, err := LoadSigner("${SLIPWAY_TEST_KEY_PEM}")
	if err != nil || string(fromVar.PublicKey()) != string(fromFile.PublicKey()) || fromVar.Source != "${SLIPWAY_TEST_KEY_PEM}" {
		t.Errorf("LoadSigner(${VAR}) = %v (%v), want the file's key", fromVar, err)
	}
	t.Setenv(EnvSigningKey, path)
	fromEnv, err := LoadSigner("")
	if err != nil || string(fromEnv.PublicKey()) != string(fromFile.PublicKey()) || !strings.Contains(fromEnv.Source, "$"+EnvSigningKey) {
		t.Errorf("LoadSigner(\"\") with $%s = %v (%v), want the file's key", EnvSigningKey, fromEnv, err)
	}
	t.Setenv(EnvSigningKey, "")
	if k, err := LoadSigner(""); k != nil || err != nil {
		t.Errorf("LoadSigner(\"\") with nothing set = %v, %v, want nil (the default key)", k, err)
	}
	if _, err := LoadSigner("${SLIPWAY_TEST_UNSET_KEY}"); err == nil || !strings.Contains(err.Error(), "not set in the environment") {
		t.Errorf("LoadSigner(unset var) = %v", err)
	}
	os.Chmod(path, 0o644)
	if _, err := LoadSigner(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("LoadSigner(readable key) = %v, want chmod 600", err)
	}
	os.Chmod(path, 0o600)

	store := filepath.Join(dir, "store")
	inside := filepath.Join(store, "keys", "signing.key")
	os.MkdirAll(filepath.Dir(inside), 0o700)
	os.WriteFile(inside, pemBytes, 0o600)
	k, err := LoadSigner(inside)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(store, WithSigner(k)); err == nil || !strings.Contains(err.Error(), "lies inside the artifact store") {
		t.Errorf("Open with a key inside the store = %v, want a refusal", err)
	}
}

// TestDefaultSignerOnce: processes (here goroutines) making the default key at
// once all end up with the same one, kept private under the config directory.
func TestDefaultSignerOnce(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	var wg sync.WaitGroup
	keys := make([]string, 8)
	for i := range keys {
		wg.Go(func() {
			k, err := DefaultSigner()
			if err != nil {
				t.Error(err)
				return
			}
			keys[i] = string(k.PublicKey())
		})
	}
	wg.Wait()
	for _, k := range keys[1:] {
		if k != keys[0] {
			t.Fatalf("DefaultSigner made different keys at once")
		}
	}
	path, _ := DefaultKeyPath()
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("default key %s: %v, mode %v, want 0600", path, err, fi.Mode().Perm())
	}
	if pub, err := os.ReadFile(strings.TrimSuffix(path, ".key") + ".pub"); err != nil || string(pub) != keys[0] {
		t.Errorf("signing.pub beside the default key: %v", err)
	}
}

func TestPolicyForAndConfigure(t *testing.T) {
	dir := t.TempDir()
	priv := filepath.Join(dir, "k.key")
	if err := createKeyFile(priv); err != nil {
		t.Fatal(err)
	}
	k, err := LoadSigner(priv)
	if err != nil {
		t.Fatal(err)
	}
	pub := filepath.Join(dir, "k.pub")
	os.WriteFile(pub, k.PublicKey(), 0o644)
	t.Setenv("SLIPWAY_TEST_PUB", string(k.PublicKey()))
	p, err := PolicyFor("prod", config.Policy{Keys: []string{pub, "${SLIPWAY_TEST_PUB}", string(k.PublicKey())}}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	fp, _ := Fingerprint(k.PublicKey())
	var got []string
	for _, tk := range p.Keys {
		got = append(got, tk.Fingerprint+" "+tk.Source)
	}
	want := []string{fp + " " + pub, fp + " ${SLIPWAY_TEST_PUB}", fp + " inline PEM"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("PolicyFor keys (-want +got):\n%s", diff)
	}
	for spec, msg := range map[string]string{
		priv:                             "is a private key: name its public half",
		filepath.Join(dir, "absent.pub"): "give the path of a PEM public key",
		"${SLIPWAY_TEST_UNSET_PUB}":      "not set in the environment",
	} {
		if _, err := PolicyFor("prod", config.Policy{Keys: []string{spec}}, time.Time{}); err == nil || !strings.Contains(err.Error(), msg) || !strings.Contains(err.Error(), "policy of prod: keys[0]") {
			t.Errorf("PolicyFor(%q) = %v, want %q", spec, err, msg)
		}
	}

	t.Setenv(EnvVulnDB, "/from/env")
	t.Setenv("SLIPWAY_TEST_DB", "/from/var")
	for _, tt := range []struct{ cfg, want string }{{"", "/from/env"}, {"${SLIPWAY_TEST_DB}/go", "/from/var/go"}, {"/from/config", "/from/config"}} {
		opts, err := Configure(config.Artifacts{SigningKey: priv, VulnDB: tt.cfg})
		if err != nil {
			t.Fatal(err)
		}
		s := &Store{}
		for _, o := range opts {
			o(s)
		}
		if s.vulnDB != tt.want || s.signer == nil {
			t.Errorf("Configure(vulndb %q) = db %q signer %v, want %q and the key", tt.cfg, s.vulnDB, s.signer, tt.want)
		}
	}
}
