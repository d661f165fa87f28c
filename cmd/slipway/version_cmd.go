package main

import (
	"fmt"
	"runtime/debug"
	"time"

	"github.com/spf13/cobra"
)

// buildInfo is what `slipway version` reports about the binary.
type buildInfo struct {
	Version   string    `json:"version"`
	Module    string    `json:"module,omitempty"`
	Revision  string    `json:"revision,omitempty"`
	Time      time.Time `json:"time,omitzero"`
	Modified  bool      `json:"modified"`
	GoVersion string    `json:"go_version"`
}

// readBuildInfo reads the version the Go toolchain stamped into the binary.
func readBuildInfo() buildInfo {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return buildInfo{Version: "(unknown)"}
	}
	out := buildInfo{Version: bi.Main.Version, Module: bi.Main.Path, GoVersion: bi.GoVersion}
	if out.Version == "" {
		out.Version = "(devel)"
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			out.Revision = s.Value
		case "vcs.time":
			out.Time, _ = time.Parse(time.RFC3339, s.Value)
		case "vcs.modified":
			out.Modified = s.Value == "true"
		}
	}
	return out
}

func newVersionCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print Slipway's version, the commit it was built from and its Go version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			format, err := outputFormat(cmd)
			if err != nil {
				return err
			}
			bi := readBuildInfo()
			if format == outputJSON {
				return writeJSON(cmd.OutOrStdout(), bi)
			}
			line := "slipway " + bi.Version
			if bi.Revision != "" {
				line += " (" + short(bi.Revision, 12)
				if bi.Modified {
					line += ", modified"
				}
				if !bi.Time.IsZero() {
					line += ", " + bi.Time.UTC().Format(time.DateTime) + " UTC"
				}
				line += ")"
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s %s\n", line, bi.GoVersion)
			return err
		},
	}
	addOutputFlag(cmd)
	return cmd
}
