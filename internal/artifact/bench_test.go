package artifact

import (
	"context"
	"debug/buildinfo"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkPackageContractAPI measures what Slipway adds to go build for the
// story's service: per iteration it times go build of examples/contract-api
// (warm build cache, the flags Build uses), then the image, the SBOM, the scan
// (govulncheck, binary mode, the embedded database), the signing and storing,
// and the attestations a registry push signs (the SBOM, provenance and
// vulnerability statements in DSSE envelopes) of the same binary. It reports
// each, the binary's size and the ratio of Slipway's work to go build:
//
//	go test -run '^$' -bench PackageContractAPI -benchtime 5x ./internal/artifact
func BenchmarkPackageContractAPI(b *testing.B) {
	ctx := context.Background()
	src, err := filepath.Abs(filepath.Join("..", "..", "examples", "contract-api"))
	if err != nil {
		b.Fatal(err)
	}
	k := benchKey(b)
	var build, image, sbom, scan, sign, attest time.Duration
	var size int64
	for i := 0; b.Loop(); i++ {
		s, err := Open(b.TempDir(), WithSigner(k))
		if err != nil {
			b.Fatal(err)
		}
		in := BuildInput{Service: "contract-api", Version: "1.12.0", Commit: testCommit, SourceDir: src,
			Main: "./cmd/contract-api", Created: testCreated}
		work := b.TempDir()
		bin := filepath.Join(work, "contract-api")

		t0 := time.Now()
		if err := compile(ctx, "go", in, bin, nil); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		info, err := buildinfo.ReadFile(bin)
		if err != nil {
			b.Fatal(err)
		}
		raw, err := os.ReadFile(bin)
		if err != nil {
			b.Fatal(err)
		}
		img, err := buildImage(imageSpec{service: in.Service, version: in.Version, commit: in.Commit, created: in.Created,
			goos: setting(info, "GOOS"), goarch: setting(info, "GOARCH"), binary: raw})
		if err != nil {
			b.Fatal(err)
		}
		h, err := img.Digest()
		if err != nil {
			b.Fatal(err)
		}
		d := digest{hex: h.Hex}
		t2 := time.Now()
		doc, components, err := makeSBOM(sbomInput{service: in.Service, version: in.Version, commit: in.Commit, digest: d,
			created: in.Created, info: info, format: "go", goos: setting(info, "GOOS"), goarch: setting(info, "GOARCH"), sha256: sha256Hex(raw)})
		if err != nil {
			b.Fatal(err)
		}
		t3 := time.Now()
		report, err := s.scanBinary(ctx, bin)
		if err != nil {
			b.Fatal(err)
		}
		t4 := time.Now()
		prov, err := provenance(in, d, info.GoVersion)
		if err != nil {
			b.Fatal(err)
		}
		rec := record{Service: in.Service, Version: in.Version, Commit: in.Commit, Digest: d.String(), Created: in.Created,
			Components: components, Vulnerabilities: len(report.Findings), Size: int64(len(raw))}
		if _, err := s.commit(ctx, img, d, rec, work, doc, report, prov); err != nil {
			b.Fatal(err)
		}
		t5 := time.Now()
		if err := benchAttest(ctx, s, d, doc, prov); err != nil {
			b.Fatal(err)
		}
		t6 := time.Now()
		size = int64(len(raw))
		build += t1.Sub(t0)
		image += t2.Sub(t1)
		sbom += t3.Sub(t2)
		scan += t4.Sub(t3)
		sign += t5.Sub(t4)
		attest += t6.Sub(t5)
	}
	n := float64(b.N)
	rest := image + sbom + scan + sign + attest
	b.ReportMetric(build.Seconds()/n, "gobuild-s/op")
	b.ReportMetric(image.Seconds()/n, "image-s/op")
	b.ReportMetric(sbom.Seconds()/n, "sbom-s/op")
	b.ReportMetric(scan.Seconds()/n, "scan-s/op")
	b.ReportMetric(sign.Seconds()/n, "sign+store-s/op")
	b.ReportMetric(attest.Seconds()/n, "attest-s/op")
	b.ReportMetric(rest.Seconds()/n, "slipway-s/op")
	b.ReportMetric(float64(size)/(1<<20), "binary-MiB")
	b.ReportMetric(rest.Seconds()/build.Seconds(), "added/gobuild")
}

func benchKey(b *testing.B) *KeySigner {
	b.Helper()
	path := filepath.Join(b.TempDir(), "signing.key")
	if err := createKeyFile(path); err != nil {
		b.Fatal(err)
	}
	k, err := LoadSigner(path)
	if err != nil {
		b.Fatal(err)
	}
	return k
}

// benchAttest makes and signs the three attestations a registry push adds:
// the SBOM and provenance statements and the vulnerability statement, each in
// a DSSE envelope signed by the store's key.
func benchAttest(ctx context.Context, s *Store, d digest, sbom, prov []byte) error {
	vuln, err := s.VulnStatement(ctx, d.String())
	if err != nil {
		return err
	}
	sbomStmt, err := json.Marshal(map[string]any{"_type": "https://in-toto.io/Statement/v1", "predicateType": "https://cyclonedx.org/bom",
		"subject": []map[string]any{{"name": "contract-api", "digest": map[string]string{"sha256": d.hex}}}, "predicate": json.RawMessage(sbom)})
	if err != nil {
		return err
	}
	for _, stmt := range [][]byte{sbomStmt, prov, vuln} {
		sig, err := s.SignAttestation(ctx, pae(inTotoPayloadType, stmt))
		if err != nil {
			return err
		}
		if _, err := json.Marshal(dsseEnvelope{PayloadType: inTotoPayloadType, Payload: base64.StdEncoding.EncodeToString(stmt),
			Signatures: []dsseSignature{{Sig: base64.StdEncoding.EncodeToString(sig)}}}); err != nil {
			return err
		}
	}
	return nil
}
