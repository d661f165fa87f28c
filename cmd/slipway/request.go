package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// requestRun asks the running control plane to run the pipeline for ref now.
func requestRun(cmd *cobra.Command, ref string) error {
	return errors.New("run " + ref + ": not wired yet")
}
