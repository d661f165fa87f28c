package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/internal/config"
)

// newInitCmd returns "slipway init": write a commented slipway.yaml for a service.
func newInitCmd() *cobra.Command {
	var opts config.InitOptions
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Write a commented slipway.yaml for the service in this repository",
		Long: `init looks at the service's repository, finds its Go main package and health
route, and writes a commented slipway.yaml with Slipway's defaults: pipelines for
branches, main and hotfixes, and dev, staging and prod with a canary rollout. It adds
.slipway/ to .gitignore. It never overwrites an existing slipway.yaml.

For a service in another language, give its build command and the executable it makes:
  slipway init --run 'cargo build --release' --binary target/release/my-service`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, err := filepath.Abs(opts.Dir)
			if err != nil {
				return err
			}
			opts.Dir = dir
			s, err := config.Init(opts)
			if err != nil {
				return err
			}
			printScaffold(cmd.OutOrStdout(), s)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Dir, "dir", ".", "the service's repository")
	f.StringVar(&opts.Service, "service", "", "service name (default: the Go module's last element, else the directory's name)")
	f.StringVar(&opts.Main, "main", "", "Go main package to build (default: the one found; ./cmd/SERVICE when there are several)")
	f.StringVar(&opts.Health, "health", "", "readiness path (default: the health route found in the Go sources, else /healthz)")
	f.StringVar(&opts.Run, "run", "", "build command for any language, run with sh -c in the repository (with --binary)")
	f.StringVar(&opts.Binary, "binary", "", "the executable --run produces, relative to the repository")
	return cmd
}

// printScaffold says what init found, what it wrote and what to do next.
func printScaffold(w io.Writer, s config.Scaffold) {
	if s.Main != "" {
		fmt.Fprintf(w, "main package  %s\n", s.Main)
	} else {
		fmt.Fprintf(w, "build         %s -> %s\n", s.Run, s.Binary)
	}
	if len(s.OtherMains) > 0 {
		fmt.Fprintf(w, "also found    %s (not built; change build.main to pick another)\n", strings.Join(s.OtherMains, ", "))
	}
	switch {
	case s.HealthAt != "":
		fmt.Fprintf(w, "health        %s (found in %s)\n", s.Health, s.HealthAt)
	default:
		fmt.Fprintf(w, "health        %s (no health route found: set build.health if the service answers elsewhere)\n", s.Health)
	}
	fmt.Fprintf(w, "service       %s\n", s.Service)
	fmt.Fprintf(w, "wrote         %s\n", s.Path)
	if s.GitignoreAdded {
		fmt.Fprintf(w, "added         .slipway/ to %s\n", s.Gitignore)
	}
	fmt.Fprintf(w, "\nnext:\n  git add slipway.yaml .gitignore && git commit -m \"chore: add slipway.yaml\"\n  slipway up\n")
}
