package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/slipway/slipway/internal/demo"
	"github.com/spf13/cobra"
)

func newDemoCmd() *cobra.Command {
	o := demo.Options{}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Play the story: a day of shipping contract-api, with a bad canary rolled back on its own",
		Long: `Play the whole day of Slipway's story on this machine, for real.

The demo creates a git repository for contract-api (a Go HTTP service, tagged
v1.11.3) and runs it in dev, staging and prod behind Slipway's router while
simulated users send contract validations. Then:

  1. feat/contract-rule-validation: the branch pipeline (build, unit tests, lint,
     SAST, API breaking-change check; independent steps in parallel), run twice
     to show the step cache;
  2. merge: the main pipeline, version 1.12.0 from the Conventional Commits,
     release notes, an OCI artifact with SBOM, vulnerability scan and signature;
  3. dev and staging, with smoke tests, then a release candidate;
  4. production: 1.12.0 gets 5% of real traffic. About 2% of requests are legacy
     contracts the new rule mishandles (HTTP 500); the router's per-version
     metrics show it, analysis rolls back to 1.11.3 and opens an incident;
  5. fix/contract-rule-null-case: the hotfix path (tests of affected packages
     only), 1.12.1 rolled out from 1% with tighter thresholds, promoted;
  6. a post-mortem draft written from the event journal.

The state stays in --data for 'slipway status', 'slipway history' and
'slipway incidents'. The last line is a one-line outcome for scripts.`,
		Example: `  slipway demo
  slipway demo --legacy-share=0        # no legacy contracts: 1.12.0 is promoted
  slipway demo --webhook http://127.0.0.1:9000/hook`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if o.Example == "" {
				if o.Example, err = findExample(); err != nil {
					return err
				}
			}
			if o.Slipway, err = os.Executable(); err != nil {
				return fmt.Errorf("demo: find the slipway binary: %w", err)
			}
			if o.Data, err = dataDir(cmd); err != nil {
				return err
			}
			o.Out = cmd.OutOrStdout()
			_, err = demo.Run(cmd.Context(), o)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Example, "example", "", "the contract-api example directory (default: examples/contract-api found from the current directory)")
	f.Float64Var(&o.LegacyShare, "legacy-share", 0.02, "share of traffic carrying legacy contracts (0 to 1)")
	f.IntVar(&o.Rate, "rate", 250, "simulated users' requests per second")
	f.StringVar(&o.Webhook, "webhook", "", "URL that receives rollback and incident notifications as JSON")
	return cmd
}

// findExample looks for examples/contract-api in the current directory and its parents.
func findExample() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, "examples", "contract-api")
		if _, err := os.Stat(filepath.Join(p, "slipway.yaml")); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("demo: examples/contract-api not found here or in a parent directory; run from the Slipway repository or pass --example")
		}
		dir = parent
	}
}
