package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// Output formats of the read commands (-o).
const (
	outputTable = "table"
	outputJSON  = "json"
)

// outputFlag is the -o flag every read command carries.
const outputFlag = "output"

// addOutputFlag gives cmd -o/--output, table by default, completing its values.
func addOutputFlag(cmd *cobra.Command) {
	cmd.Flags().StringP(outputFlag, "o", outputTable, "output format: table or json")
	cmd.RegisterFlagCompletionFunc(outputFlag, cobra.FixedCompletions([]string{
		outputTable + "\thuman-readable columns",
		outputJSON + "\tone JSON document, for scripts",
	}, cobra.ShellCompDirectiveNoFileComp))
}

// outputFormat returns cmd's -o value, refusing anything but table or json.
func outputFormat(cmd *cobra.Command) (string, error) {
	o, _ := cmd.Flags().GetString(outputFlag)
	switch o {
	case "", outputTable:
		return outputTable, nil
	case outputJSON:
		return outputJSON, nil
	}
	return "", fmt.Errorf("%s: unknown output format %q for -o (use -o table or -o json)", cmd.CommandPath(), o)
}

// writeJSON writes v as indented JSON followed by a newline.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write json: %w", err)
	}
	return nil
}
