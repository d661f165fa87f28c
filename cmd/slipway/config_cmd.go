package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/internal/config"
)

// newConfigCmd returns "slipway config": validate slipway.yaml and print its schema.
func newConfigCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Check slipway.yaml and print its JSON Schema",
	}
	cmd.AddCommand(
		&cobra.Command{
			Use:   "validate [FILE]",
			Short: "Validate a slipway.yaml (default ./slipway.yaml) and list every problem",
			Args:  cobra.MaximumNArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				path := "slipway.yaml"
				if len(args) == 1 {
					path = args[0]
				}
				c, err := config.Load(path)
				var ce *config.Error
				switch {
				case errors.As(err, &ce):
					for _, p := range ce.Problems {
						fmt.Fprintln(cmd.ErrOrStderr(), p)
					}
					noun := "problems"
					if len(ce.Problems) == 1 {
						noun = "problem"
					}
					return fmt.Errorf("%s: %d %s", path, len(ce.Problems), noun)
				case err != nil:
					return err
				}
				// Notices are not problems: the file is valid, but something in it
				// is not acted on yet, and its author should know.
				if data, err := os.ReadFile(path); err == nil {
					for _, n := range config.Notices(filepath.Base(path), data) {
						fmt.Fprintln(cmd.ErrOrStderr(), "notice:", n)
					}
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: ok (service %s, %d pipelines, %d environments)\n",
					path, c.Service, len(c.Pipelines), len(c.Environments))
				return nil
			},
		},
		&cobra.Command{
			Use:   "schema",
			Short: "Print the JSON Schema of slipway.yaml, for editors",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				_, err := cmd.OutOrStdout().Write(config.Schema())
				return err
			},
		},
	)
	return cmd
}
