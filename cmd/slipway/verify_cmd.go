package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/slipway/slipway/internal/artifact"
	"github.com/slipway/slipway/internal/config"
	"github.com/slipway/slipway/internal/delivery"
	"github.com/slipway/slipway/internal/store"
	"github.com/spf13/cobra"
)

func newVerifyCmd() *cobra.Command {
	var env, policy string
	var fromRegistry bool
	cmd := &cobra.Command{
		Use:   "verify DIGEST|VERSION|HOST/REPO@DIGEST",
		Short: "Check an artifact offline or in its registry: digest, signature, attestations, signed scan and an environment's policy",
		Long: `Verify an artifact from the local OCI layout, offline, the way a deploy does:

  digest           the manifest, config and layer blobs hash to what names them
  signature        the signature (file and .sig attachment) verifies with a trusted key
                   and covers the digest, version, commit, SBOM and provenance
  scan             a statement signed by a trusted key binds the scan report to the digest
  vulnerabilities  the environment's gate lets every finding through

Given HOST/REPO@DIGEST, or --registry with a version or digest (the registry
slipway.yaml names), it verifies the registry's copy instead, reading nothing
from the local layout - what a deploy with registry: does:

  digest           the manifest, config and layers the registry serves hash to the digest
  signature        the signature at sha256-<hex>.sig verifies with a trusted key
  attestations     the SBOM and SLSA provenance attestations (.att) verify with a
                   trusted key and are the ones the signature names
  scan             the vulnerability attestation verifies; its report is judged
  vulnerabilities  the environment's gate, the database's age (max-db-age) first

With --env the environment's policy decides which keys are trusted and which
findings block: a policy file pinned with --policy (or $SLIPWAY_POLICY, as
slipway up takes) where it names the environment, else slipway.yaml's. Without
--env the key Slipway signs with is trusted and nothing is gated. Exit status 1
when a check fails.`,
		Example: `  slipway verify 1.12.1 --env prod
  slipway verify sha256:3f1c... -o json
  slipway verify 1.12.1 --registry --env prod --policy /etc/slipway/policy.yaml
  slipway verify registry.example.com/team/contract-api@sha256:3f1c...`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeVersions,
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := outputFormat(cmd)
			if err != nil {
				return err
			}
			st, err := openState(cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			ctx := cmd.Context()
			cfg, err := serviceConfig(cmd, st)
			if err != nil {
				return err
			}
			dgst, repo := args[0], ""
			if r, d, ok := strings.Cut(dgst, "@"); ok {
				repo, dgst = r, d
			} else if fromRegistry {
				if cfg.Registry == "" {
					return fmt.Errorf("verify %s --registry: the slipway.yaml of %s names no registry: add registry: host/repository, or give HOST/REPO@DIGEST", args[0], cfg.Service)
				}
				repo = cfg.Registry
			}
			if !strings.HasPrefix(dgst, "sha256:") {
				var rel delivery.Release
				if err := st.Get(ctx, "release", cfg.Service+"/"+args[0], &rel); err != nil {
					if errors.Is(err, store.ErrNotFound) {
						return fmt.Errorf("verify %s: no release %s of %s: give a released version or a digest (sha256:...); slipway status lists them", args[0], args[0], cfg.Service)
					}
					return err
				}
				dgst = rel.Artifact.Digest
				if rel.Config != nil {
					cfg = rel.Config
				}
			}
			arts, err := openArtifacts(cmd, cfg, repo != "")
			if err != nil {
				return err
			}
			p, err := verifyPolicy(cfg, env, policy)
			if err != nil {
				return fmt.Errorf("verify %s: %w", args[0], err)
			}
			var v artifact.Verification
			if repo != "" {
				v, _, err = arts.CheckRemote(ctx, repo, dgst, artifact.Expect{Service: cfg.Service}, p)
			} else {
				v, err = arts.Check(ctx, dgst, p)
			}
			if len(v.Checks) == 0 {
				return err
			}
			if format == outputJSON {
				if werr := writeJSON(cmd.OutOrStdout(), v); werr != nil {
					return werr
				}
			} else if werr := writeVerification(cmd.OutOrStdout(), v); werr != nil {
				return werr
			}
			if !v.OK {
				failed := 0
				for _, c := range v.Checks {
					if !c.OK {
						failed++
					}
				}
				return fmt.Errorf("verify %s: %d of %d checks failed", v.Ref, failed, len(v.Checks))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&env, "env", "", "judge by this environment's policy (trusted keys, vulnerability gate)")
	f.StringVar(&policy, "policy", "", "a pinned policy file whose environments override slipway.yaml's policy (default $SLIPWAY_POLICY)")
	f.BoolVar(&fromRegistry, "registry", false, "verify the copy in the registry slipway.yaml names, not the local layout")
	f.String("service", "", "the service, when several share the state directory")
	addOutputFlag(cmd)
	cmd.RegisterFlagCompletionFunc("env", completeEnvs)
	cmd.RegisterFlagCompletionFunc("service", completeServices)
	return cmd
}

// verifyPolicy is the policy env is held to: the pinned policy file's (path,
// else $SLIPWAY_POLICY) where it names env, else slipway.yaml's; none without env.
func verifyPolicy(cfg *config.Config, env, path string) (artifact.Policy, error) {
	if env == "" {
		return artifact.Policy{}, nil
	}
	e, ok := cfg.Env(env)
	if !ok {
		return artifact.Policy{}, fmt.Errorf("no environment %q in the slipway.yaml of %s (it has %s)", env, cfg.Service, envNames(cfg))
	}
	pinned, err := config.LoadPolicyFile(path)
	if err != nil {
		return artifact.Policy{}, err
	}
	pol, from := pinned.For(env, e.Policy)
	p, err := artifact.PolicyFor(env, pol, time.Now())
	if err != nil {
		return artifact.Policy{}, err
	}
	if from != "slipway.yaml" {
		p.From = from
	}
	return p, nil
}

// openArtifacts opens the artifact store in the state directory with cfg's
// signing settings, refusing to create one unless remote (a registry's copy is
// verified, and the store only lends its signing key's public half).
func openArtifacts(cmd *cobra.Command, cfg *config.Config, remote bool) (*artifact.Store, error) {
	data, err := dataDir(cmd)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(data, "artifacts")
	if _, err := os.Stat(filepath.Join(dir, "oci", "index.json")); err != nil && !remote {
		return nil, fmt.Errorf("no artifacts in %s: releases build them (slipway up)", dir)
	}
	opts, err := artifact.Configure(cfg.Artifacts)
	if err != nil {
		return nil, fmt.Errorf("%s: artifacts: %w", cfg.Service, err)
	}
	return artifact.Open(dir, opts...)
}

func envNames(cfg *config.Config) string {
	var names []string
	for _, e := range cfg.Environments {
		names = append(names, e.Name)
	}
	return strings.Join(names, ", ")
}

// writeVerification prints each check, the trusted keys and the gate's findings.
func writeVerification(w io.Writer, v artifact.Verification) error {
	where := "with the default policy (the signing key trusted, no gate)"
	if v.Env != "" {
		where = "against the policy of " + v.Env
	}
	if v.From != "" {
		where += " pinned in " + v.From
	}
	fmt.Fprintf(w, "%s %s\n", v.Ref, where)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, c := range v.Checks {
		mark := "ok"
		if !c.OK {
			mark = "FAIL"
		}
		fmt.Fprintf(tw, "  %-4s\t%s\t%s\n", mark, c.Name, c.Detail)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, k := range v.Trusted {
		fmt.Fprintf(w, "trusted key %s (%s)\n", k.Fingerprint, k.Source)
	}
	if len(v.Findings) > 0 {
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "FINDING\tMODULE\tSEVERITY\tREACHABLE\tDECISION\tNOTE")
		for _, j := range v.Findings {
			sev := j.Severity
			if !j.Rated {
				sev += " (unrated)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%t\t%s\t%s\n", j.ID, j.Module, sev, j.Reachable, j.Decision, dash(j.Note))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	verdict := "verified"
	if !v.OK {
		verdict = "REFUSED: a deploy would not run it"
	}
	_, err := fmt.Fprintln(w, verdict)
	return err
}
