package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/internal/apicheck"
	"github.com/slipway/slipway/internal/sast"
	"github.com/slipway/slipway/internal/vcs"
)

func newCheckCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Checks that pipeline steps run: API breaking changes, security scan",
		Long: `Checks meant to run as pipeline steps. Each prints what it found and exits
non-zero when the change must not go on, so a step in slipway.yaml is just the
command:

  steps:
    - name: api-compat
      run: slipway check api --base {{.BaseRef}} api/openapi.yaml
      inputs: [api/**]
    - name: sast
      run: slipway check sast ./...`,
	}
	cmd.AddCommand(newCheckAPICmd(), newCheckSASTCmd())
	return cmd
}

func newCheckAPICmd() *cobra.Command {
	var base, repo, failOn string
	cmd := &cobra.Command{
		Use:   "api --base REF [--repo DIR] PATH",
		Short: "Fail when an OpenAPI document breaks clients of its version at REF",
		Long: `Compare the OpenAPI 3 document at PATH in the work tree with the same file at
the git ref REF (a release tag, a branch, a commit) and list the changes that
break existing clients: removed endpoints or response properties, new required
request fields or parameters, narrowed types.

PATH is relative to --repo (default: the current directory), which must be
inside a git repository - or, in a pipeline step, an exported tree of the
repository named by $SLIPWAY_REPO, which Slipway sets. A document that did not exist at REF is new and
passes. The command exits non-zero when it finds a breaking change (errors and,
with the default --fail-on warning, warnings); otherwise it prints how many
compatible changes there are.`,
		Example: `  slipway check api --base v1.11.3 api/openapi.yaml
  slipway check api --base origin/main --repo services/contract-api api/openapi.yaml
  slipway check api --base v1.11.3 --fail-on error api/openapi.yaml`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if base == "" {
				return errors.New("check api: --base is required: the git ref to compare with, e.g. --base v1.11.3")
			}
			if failOn != apicheck.Error && failOn != apicheck.Warning {
				return fmt.Errorf("check api: --fail-on %q: use error or warning", failOn)
			}
			return checkAPI(cmd, repo, base, args[0], failOn)
		},
	}
	cmd.Flags().StringVar(&base, "base", "", "git ref holding the released document (required), e.g. v1.11.3")
	cmd.Flags().StringVar(&repo, "repo", ".", "directory inside the git repository; PATH is relative to it")
	cmd.Flags().StringVar(&failOn, "fail-on", apicheck.Warning, "lowest level that fails: error or warning")
	return cmd
}

func checkAPI(cmd *cobra.Command, repoDir, base, path, failOn string) error {
	ctx := cmd.Context()
	out := cmd.OutOrStdout()
	file := path
	if !filepath.IsAbs(file) {
		file = filepath.Join(repoDir, path)
	}
	head, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("check api: read %s: %w", path, err)
	}
	var inRepo string
	var r *vcs.Repo
	if env := os.Getenv("SLIPWAY_REPO"); env != "" && !cmd.Flags().Changed("repo") && !filepath.IsAbs(path) {
		// A pipeline step runs in an exported tree of a commit; its history is in the
		// repository Slipway names (the tree may sit inside some other repository).
		if r, err = vcs.Open(ctx, env); err != nil {
			return fmt.Errorf("check api: SLIPWAY_REPO: %w", err)
		}
		inRepo = filepath.ToSlash(filepath.Clean(path))
	} else {
		if r, err = vcs.Open(ctx, repoDir); err != nil {
			return fmt.Errorf("check api: %w", err)
		}
		if inRepo, err = repoPath(r.Dir, file); err != nil {
			return fmt.Errorf("check api: %w", err)
		}
	}
	if _, err := r.ResolveRef(ctx, base); err != nil {
		return fmt.Errorf("check api: --base %s: %w: name a tag, branch or commit of %s", base, err, r.Dir)
	}
	old, err := r.Show(ctx, base, inRepo)
	if errors.Is(err, vcs.ErrNotFound) {
		fmt.Fprintf(out, "%s is new since %s: nothing to break\n", inRepo, base)
		return nil
	}
	if err != nil {
		return fmt.Errorf("check api: %w", err)
	}
	all, err := apicheck.Compare(ctx, old, head)
	if err != nil {
		return fmt.Errorf("check api %s: %w", inRepo, err)
	}
	var breaking []apicheck.Change
	compatible, failing := 0, 0
	for _, c := range all {
		switch c.Level {
		case apicheck.Info:
			compatible++
			continue
		case apicheck.Error:
			failing++
		case apicheck.Warning:
			if failOn == apicheck.Warning {
				failing++
			}
		}
		breaking = append(breaking, c)
	}
	if len(breaking) == 0 {
		fmt.Fprintf(out, "%s: no breaking changes since %s (%d compatible %s)\n", inRepo, base, compatible, plural(compatible, "change", "changes"))
		return nil
	}
	fmt.Fprintf(out, "%s: %d breaking %s since %s:\n", inRepo, len(breaking), plural(len(breaking), "change", "changes"), base)
	printChanges(out, breaking)
	if failing == 0 {
		fmt.Fprintf(out, "only warnings, and --fail-on is error: passing\n")
		return nil
	}
	return fmt.Errorf("check api: %s breaks clients of %s: %d breaking %s (keep the old shape, or release a new major API version)",
		inRepo, base, failing, plural(failing, "change", "changes"))
}

func printChanges(w io.Writer, changes []apicheck.Change) {
	for _, c := range changes {
		op := strings.TrimSpace(c.Operation + " " + c.Path)
		fmt.Fprintf(w, "  %-7s %s  %s\n          %s\n", c.Level, op, c.ID, c.Text)
	}
}

// repoPath returns file relative to the repository root, slash-separated.
func repoPath(root, file string) (string, error) {
	absRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return "", err
	}
	absFile, err := filepath.Abs(file)
	if err != nil {
		return "", err
	}
	if resolved, err := filepath.EvalSymlinks(absFile); err == nil {
		absFile = resolved
	}
	rel, err := filepath.Rel(absRoot, absFile)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("%s is outside the repository %s", file, root)
	}
	return filepath.ToSlash(rel), nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func newCheckSASTCmd() *cobra.Command {
	var dir, failOn string
	cmd := &cobra.Command{
		Use:   "sast [PATTERNS...]",
		Short: "Scan Go source for security problems (gosec rules)",
		Long: `Scan the Go packages matched by PATTERNS (default ./...) for security problems
with gosec's rules: hard-coded credentials, weak crypto (MD5, SHA-1, DES, RC4),
math/rand for secrets, SQL built from strings, HTTP servers without timeouts,
path traversal, command injection and more. Test files, testdata and vendor are
not scanned; unchecked errors (G104) are not reported.

Findings print as file:line:col. The command exits non-zero on any finding at
or above --fail-on (default medium). To accept a finding, say why in the code:
  h := md5.Sum(b) // #nosec G401 -- cache key, not security`,
		Example: `  slipway check sast
  slipway check sast ./internal/... ./cmd/...
  slipway check sast --dir services/contract-api --fail-on high`,
		RunE: func(cmd *cobra.Command, args []string) error {
			rank := map[string]int{sast.Low: 1, sast.Medium: 2, sast.High: 3}
			if rank[failOn] == 0 {
				return fmt.Errorf("check sast: --fail-on %q: use low, medium or high", failOn)
			}
			out := cmd.OutOrStdout()
			findings, err := sast.Scan(cmd.Context(), dir, args)
			if err != nil && !errors.Is(err, sast.ErrIncomplete) {
				return fmt.Errorf("check sast: %w", err)
			}
			failing := 0
			for _, f := range findings {
				fmt.Fprintf(out, "%s:%d:%d: [%s %s] %s\n", f.File, f.Line, f.Col, f.Rule, f.Severity, f.Message)
				if rank[f.Severity] >= rank[failOn] {
					failing++
				}
			}
			if err != nil {
				// Code that does not compile cannot be judged: fail, naming why.
				return fmt.Errorf("check sast: %w", err)
			}
			if failing > 0 {
				return fmt.Errorf("check sast: %d %s at %s severity or above (fix them, or justify each with #nosec RULE -- why)",
					failing, plural(failing, "finding", "findings"), failOn)
			}
			fmt.Fprintf(out, "no security findings at %s severity or above (%d below)\n", failOn, len(findings))
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", ".", "module directory the patterns are relative to")
	cmd.Flags().StringVar(&failOn, "fail-on", sast.Medium, "lowest severity that fails: low, medium or high")
	return cmd
}
