package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"
)

// complete runs cobra's hidden __complete command through a root carrying the
// commands whose completion this package wires, and returns the offered words.
func complete(t *testing.T, data string, args ...string) []string {
	t.Helper()
	var out, errOut bytes.Buffer
	root := &cobra.Command{Use: "slipway", SilenceUsage: true, SilenceErrors: true}
	addDataFlag(root)
	root.AddCommand(newStatusCmd(), newHistoryCmd(), newIncidentsCmd(), newRolloutCmd(), newRunsCmd(), newRunCmd(), newLogsCmd(), newVersionCmd(),
		&cobra.Command{Use: "promote VERSION ENV", ValidArgsFunction: completeVersionThenEnv, Run: func(*cobra.Command, []string) {}},
		&cobra.Command{Use: "undo ENV", ValidArgsFunction: completeEnvs, Run: func(*cobra.Command, []string) {}})
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(append([]string{cobra.ShellCompRequestCmd, args[0], "--data", data}, args[1:]...))
	if err := root.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("__complete %v: %v", args, err)
	}
	var words []string
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if strings.HasPrefix(line, ":") {
			continue // the directive
		}
		w, _, _ := strings.Cut(line, "\t")
		words = append(words, w)
	}
	return words
}

func TestCompletion(t *testing.T) {
	data := seedServices(t)
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"rollout", "status", ""}, []string{"ro-1", "ro-3"}},
		{[]string{"rollout", "pause", ""}, []string{"ro-3"}}, // ro-1 has ended
		{[]string{"incidents", ""}, []string{"close", "resolve", "update", "INC-1"}},
		{[]string{"incidents", "resolve", ""}, []string{"INC-1"}},
		{[]string{"logs", "--env", ""}, []string{"dev", "staging", "prod"}},
		{[]string{"logs", "--service", "quote-api", "--env", ""}, []string{"dev", "prod"}},
		{[]string{"logs", "--env", "prod", "--version", "1.12"}, []string{"1.12.0", "1.12.1"}},
		{[]string{"history", "--service", ""}, []string{"contract-api", "quote-api"}},
		{[]string{"status", "-o", ""}, []string{"table", "json"}},
		{[]string{"promote", ""}, []string{"1.11.3", "1.12.0", "1.12.1", "2.3.0", "2.3.1"}},
		{[]string{"promote", "1.12.1", ""}, []string{"dev", "staging", "prod"}},
		{[]string{"undo", ""}, []string{"dev", "staging", "prod"}},
		{[]string{"undo", "prod", ""}, nil},
	}
	for _, tt := range tests {
		got := complete(t, data, tt.args...)
		if tt.want != nil {
			got = filterPrefix(got, tt.args[len(tt.args)-1])
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("complete %v (-want +got):\n%s", tt.args, diff)
		}
	}
}

func TestCompleteRuns(t *testing.T) {
	data := t.TempDir()
	first := runPipeline(t, data, "main", hello)
	second := runPipeline(t, data, "main", hello)
	got := complete(t, data, "run", "logs", "")
	if diff := cmp.Diff([]string{second.Run, first.Run}, got); diff != "" {
		t.Errorf("complete run logs (-want +got, newest first):\n%s", diff)
	}
}

// filterPrefix keeps the words the shell would keep for what was typed.
func filterPrefix(words []string, typed string) []string {
	var out []string
	for _, w := range words {
		if strings.HasPrefix(w, typed) {
			out = append(out, w)
		}
	}
	return out
}
