// Package artifact builds, stores and checks Slipway's release artifacts.
//
// An artifact is an OCI image holding one executable at /app/<service>,
// addressed by the sha256 digest of its manifest: a statically linked Go binary
// built with go build, or whatever a service's own build command produces (any
// language; [BuildInput.Run] and [BuildInput.Binary]). It is built once, on
// main, and the same digest is then deployed to every environment. Next to the
// image the store keeps, per digest:
//
//   - a CycloneDX SBOM made from the binary's embedded Go build information,
//     or, for a binary without it, from what can be known (hash, format,
//     platform, the command that built it),
//   - a vulnerability report from govulncheck, run offline in binary mode
//     against an OSV database directory given with [WithVulnDB] (the layout
//     govulncheck reads with -db file:///dir) or the small one that ships with
//     Slipway; it names the database and its age, rates each finding's
//     severity and says whether it is reachable. A binary that is not Go is
//     reported as not scanned,
//   - a scan statement: an in-toto statement binding the report's SHA-256 to the
//     digest, signed in a DSSE envelope, so a replaced report is refused,
//   - a cosign-compatible simple-signing signature over the manifest digest,
//   - an in-toto provenance statement naming the commit it was built from.
//
// Signatures are made by a [Signer] that lives outside the store: a key named
// by slipway.yaml or $SLIPWAY_SIGNING_KEY ([LoadSigner], [Configure]), or the
// default key made once under the user's configuration directory
// ([DefaultSigner]). No key is kept beside the artifacts. [Store.Check]
// verifies an artifact against a [Policy]: the keys an environment trusts
// (default: the signer's public key) and its vulnerability gate.
//
// A pushed artifact (package artifact/registry) is verified from the
// registry alone by [Store.CheckRemote] and run from there by
// [Store.ExtractFrom]: the digest of what the registry serves, its signature,
// its SBOM and provenance attestations, and its vulnerability attestation -
// cosign's vuln predicate carrying the report ([Store.VulnStatement]) - which
// the environment's gate judges, the database's age (max-db-age) first.
//
// The embedded store is an OCI image layout directory. The SBOM and the
// signature are also attached to the layout the way cosign does when a
// registry has no referrers API: as images tagged sha256-<hex>.sbom and
// sha256-<hex>.sig.
//
// Typical use:
//
//	s, err := artifact.Open(dir)
//	a, err := s.Build(ctx, artifact.BuildInput{Service: "contract-api", ...})
//	p, err := artifact.PolicyFor("prod", env.Policy, time.Now())
//	bin, err := s.Extract(ctx, a.Digest, runDir, p) // verifies first
//
// A [Store] is safe for concurrent use. Writers in different processes take
// turns through an flock(2) on <dir>/.lock (where the OS has it), and the
// layout's index.json is always replaced atomically, so readers never see a
// partial index.
package artifact
