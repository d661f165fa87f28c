package main

import (
	"errors"
	"fmt"

	"github.com/slipway/slipway/internal/controlplane"
	"github.com/slipway/slipway/internal/delivery"
	"github.com/slipway/slipway/internal/deploy"
	"github.com/slipway/slipway/internal/notify/console"
	"github.com/slipway/slipway/internal/store"
	"github.com/spf13/cobra"
)

func newPromoteCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "promote VERSION ENV",
		Short: "The single click: deploy a release to ENV once the environment before it runs it green",
		Long: `Deploy release VERSION to ENV - the click of an environment whose promotion is
manual. The same artifact (by digest) that passed the environment before ENV is
deployed; where ENV has a rollout strategy it goes out as a canary judged by
analysis, and a rollback opens an incident. The command returns when the
deployment or rollout has ended.`,
		Example: `  slipway promote 1.12.1 prod`,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			version, env := args[0], args[1]
			p, err := openPlane(cmd)
			if err != nil {
				return err
			}
			defer p.Close()
			ctx := cmd.Context()
			var rel delivery.Release
			if err := p.Store.Get(ctx, "release", p.Config.Service+"/"+version, &rel); err != nil {
				if errors.Is(err, store.ErrNotFound) {
					return fmt.Errorf("promote %s: no release %s of %s (releases are made from main)", version, version, p.Config.Service)
				}
				return err
			}
			if err := gate(cmd, p, rel, env); err != nil {
				return err
			}
			res, err := p.Deployer.Deploy(ctx, env, deploy.Artifact{Service: p.Config.Service, Version: version, Digest: rel.Artifact.Digest},
				deploy.Options{Hotfix: rel.Hotfix})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s %s in %s: %s\n", p.Config.Service, version, env, res.Outcome)
			if res.Outcome == deploy.RolledBack {
				return fmt.Errorf("promote %s to %s: rolled back (%s)", version, env, res.Rollout.Reason)
			}
			return nil
		},
	}
	return cmd
}

// gate checks that the environment before env runs rel's artifact with its smoke
// tests passed: promotion carries the same digest forward, never around a red stage.
func gate(cmd *cobra.Command, p *controlplane.Plane, rel delivery.Release, env string) error {
	envs := p.Config.Environments
	for i, e := range envs {
		if e.Name != env {
			continue
		}
		if i == 0 {
			return nil
		}
		prev := envs[i-1].Name
		dep, err := p.Deployer.Current(cmd.Context(), prev)
		if err != nil || dep.Digest != rel.Artifact.Digest || !dep.SmokeOK {
			return fmt.Errorf("promote %s to %s: %s must run it green first (it runs %s)", rel.Version, env, prev, dep.Version)
		}
		return nil
	}
	return fmt.Errorf("promote %s: no environment %q in slipway.yaml", rel.Version, env)
}

// openPlane opens the control plane in data, refusing to create state where none is.
func openPlane(cmd *cobra.Command) (*controlplane.Plane, error) {
	st, err := openState(cmd)
	if err != nil {
		return nil, err
	}
	st.Close()
	data, err := dataDir(cmd)
	if err != nil {
		return nil, err
	}
	return controlplane.Open(cmd.Context(), controlplane.Options{Data: data, Out: cmd.OutOrStdout(), Notifier: console.New(cmd.OutOrStdout())})
}
