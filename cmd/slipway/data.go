package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
)

// dataFlag is the root's --data flag: Slipway's state directory, the same for
// every command. Empty means $SLIPWAY_DATA, then .slipway.
const dataFlag = "data"

func addDataFlag(root *cobra.Command) {
	root.PersistentFlags().String(dataFlag, "", "Slipway's state directory (default $SLIPWAY_DATA, then .slipway in the current directory)")
}

// dataDir resolves the state directory to an absolute path: --data, then
// $SLIPWAY_DATA, then .slipway in the current directory.
func dataDir(cmd *cobra.Command) (string, error) {
	d, _ := cmd.Flags().GetString(dataFlag)
	if d == "" {
		d = os.Getenv("SLIPWAY_DATA")
	}
	if d == "" {
		d = ".slipway"
	}
	abs, err := filepath.Abs(d)
	if err != nil {
		return "", fmt.Errorf("state directory %s: %w", d, err)
	}
	return abs, nil
}
