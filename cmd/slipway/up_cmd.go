package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/slipway/slipway/internal/controlplane"
	"github.com/slipway/slipway/internal/telemetry"
	"github.com/spf13/cobra"
)

// detachedEnv marks the background child of `up --detach`.
const detachedEnv = "SLIPWAY_UP_DETACHED"

func newUpCmd() *cobra.Command {
	o := controlplane.UpOptions{}
	var detach bool
	var output string
	cmd := &cobra.Command{
		Use:   "up [SERVICE_DIR...]",
		Short: "Start the control plane: routers per environment, then git pushes drive pipelines, releases and rollouts",
		Long: `Start Slipway's control plane for the service in the current directory (or the
services in the given directories, or every slipway.yaml below the current
directory): one router per environment (separate processes: the data plane),
every environment brought to its recorded version - or, the first time, the head
of main released and delivered - and unfinished rollouts resumed.

From then on ordinary git work drives everything. Slipway reads the branches
every --poll (2s): a new commit on a branch runs the branch pipeline (fix/* and
hotfix/* the hotfix pipeline; a newer commit cancels the older run); a new
commit on main runs the main pipeline and, when it passes, is versioned from its
Conventional Commits, released as one signed artifact and delivered through the
environments in order, up to the first with promotion: manual (slipway promote).
A release needs the main pipeline green on its commit. slipway.yaml is read from
the commit being built: an invalid one fails that run and changes nothing.

With --remote origin Slipway fetches that remote and follows its branches (the
pushes of the whole team); release tags are pushed back to it.

With --policy FILE (or $SLIPWAY_POLICY) the trusted keys and vulnerability
gates of the environments that file names come from it - a file kept outside
the repositories - instead of from slipway.yaml, so a commit cannot loosen what
production accepts.

The control plane runs in the foreground with readable logs, or with --detach in
the background (pid and log under the state directory). Stopping it (Ctrl-C,
SIGTERM) leaves routers and instances serving; 'slipway down' stops everything
'up' started. After a crash, 'up' adopts what is still running and resumes.`,
		Example: `  slipway up                      # the service here, in the foreground
  slipway up --detach             # in the background; slipway down stops it
  slipway up --remote origin      # follow the team's pushes to origin
  slipway up --policy /etc/slipway/policy.yaml   # keys and gates pinned outside the repo
  slipway up services/quotes services/billing`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.Traces.MaxAge < time.Minute || o.Traces.MaxSpans < 1000 || o.Traces.MaxLogs < 1000 {
				return fmt.Errorf("up: --trace-retention %s --trace-max-spans %d --log-max-records %d: keep at least a minute, 1000 spans and 1000 log records (defaults %s, %d, %d)",
					o.Traces.MaxAge, o.Traces.MaxSpans, o.Traces.MaxLogs, telemetry.DefaultMaxAge, telemetry.DefaultMaxSpans, telemetry.DefaultMaxLogs)
			}
			var err error
			if o.Data, err = dataDir(cmd); err != nil {
				return err
			}
			if o.Services, err = serviceDirs(args); err != nil {
				return err
			}
			if o.Policy != "" {
				if o.Policy, err = filepath.Abs(o.Policy); err != nil {
					return fmt.Errorf("up: --policy: %w", err)
				}
			}
			if output != "text" && output != "json" {
				return fmt.Errorf("-o %q: use text or json", output)
			}
			if o.Slipway, err = os.Executable(); err != nil {
				return fmt.Errorf("up: find the slipway binary: %w", err)
			}
			if detach && os.Getenv(detachedEnv) == "" {
				return startDetached(cmd, o, args, output)
			}
			o.Log = slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelInfo}))
			if os.Getenv(detachedEnv) != "" {
				o.LogFile = filepath.Join(o.Data, "slipway.log")
			}
			out := cmd.OutOrStdout()
			o.Ready = func(in controlplane.Info) {
				if os.Getenv(detachedEnv) == "" {
					printInfo(out, in, output)
				}
			}
			return controlplane.Up(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&detach, "detach", false, "run in the background: pid in <data>/slipway.pid (details in controlplane.json), log in <data>/slipway.log")
	f.StringVar(&o.Remote, "remote", "", "follow this remote's branches (fetched every --poll) instead of the local ones")
	f.DurationVar(&o.Poll, "poll", controlplane.DefaultPoll, "how often branches are read")
	f.StringVar(&o.Policy, "policy", "", "a policy file pinned outside the repository: its environments' trusted keys and vulnerability gates override slipway.yaml's (default $SLIPWAY_POLICY)")
	f.StringVar(&o.API, "api", "", "HOST:PORT of the control plane's HTTP listener (OTLP traces, Alertmanager webhooks); default: the last one, else a free loopback port")
	f.DurationVar(&o.Traces.MaxAge, "trace-retention", telemetry.DefaultMaxAge, "how long the OTLP receiver keeps spans in <data>/traces.db")
	f.IntVar(&o.Traces.MaxSpans, "trace-max-spans", telemetry.DefaultMaxSpans, "the most spans <data>/traces.db keeps; the oldest go first")
	f.IntVar(&o.Traces.MaxLogs, "log-max-records", telemetry.DefaultMaxLogs, "the most OTLP log records <data>/traces.db keeps; the oldest go first")
	f.StringVarP(&output, "output", "o", "text", "how to print where environments answer: text or json")
	return cmd
}

// serviceDirs are the directories holding the services' slipway.yaml: the
// arguments, else the current directory when it has one, else every one below it.
func serviceDirs(args []string) ([]string, error) {
	if len(args) > 0 {
		var dirs []string
		for _, a := range args {
			abs, err := filepath.Abs(a)
			if err != nil {
				return nil, err
			}
			if _, err := os.Stat(filepath.Join(abs, "slipway.yaml")); err != nil {
				return nil, fmt.Errorf("up: no slipway.yaml in %s: 'slipway init' writes one", abs)
			}
			dirs = append(dirs, abs)
		}
		return dirs, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(wd, "slipway.yaml")); err == nil {
		return []string{wd}, nil
	}
	var dirs []string
	err = filepath.WalkDir(wd, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() && p != wd {
			name := d.Name()
			depth := strings.Count(strings.TrimPrefix(p, wd), string(filepath.Separator))
			if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "vendor" || name == "node_modules" || name == "testdata" || depth > 3 {
				return filepath.SkipDir
			}
		}
		if !d.IsDir() && d.Name() == "slipway.yaml" {
			dirs = append(dirs, filepath.Dir(p))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(dirs) == 0 {
		return nil, fmt.Errorf("up: no slipway.yaml in %s or below: 'slipway init' writes one for your service", wd)
	}
	return dirs, nil
}

// startDetached starts `slipway up` again in the background, in its own session,
// logging to <data>/slipway.log, and returns once it serves every environment.
func startDetached(cmd *cobra.Command, o controlplane.UpOptions, args []string, output string) error {
	if in, ok := controlplane.Running(o.Data); ok {
		return fmt.Errorf("up: %s (pid %d): 'slipway down' stops it, 'slipway status' shows it", controlplane.ErrRunning, in.PID)
	}
	if err := os.MkdirAll(o.Data, 0o755); err != nil {
		return err
	}
	logPath := filepath.Join(o.Data, "slipway.log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("up: log file: %w", err)
	}
	defer logf.Close()
	start, _ := logf.Seek(0, io.SeekEnd)
	childArgs := []string{"up", "--data", o.Data, "--poll", o.Poll.String(),
		"--trace-retention", o.Traces.MaxAge.String(), "--trace-max-spans", strconv.Itoa(o.Traces.MaxSpans),
		"--log-max-records", strconv.Itoa(o.Traces.MaxLogs)}
	if o.Remote != "" {
		childArgs = append(childArgs, "--remote", o.Remote)
	}
	if o.API != "" {
		childArgs = append(childArgs, "--api", o.API)
	}
	if o.Policy != "" {
		childArgs = append(childArgs, "--policy", o.Policy)
	}
	childArgs = append(childArgs, o.Services...)
	child := exec.Command(o.Slipway, childArgs...)
	child.Env = append(os.Environ(), detachedEnv+"=1")
	child.Stdout, child.Stderr = logf, logf
	child.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := child.Start(); err != nil {
		return fmt.Errorf("up: start the control plane: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- child.Wait() }()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	timeout := time.After(2 * time.Minute)
	for {
		if in, ok := controlplane.Running(o.Data); ok && in.Ready && in.PID == child.Process.Pid {
			printInfo(cmd.OutOrStdout(), in, output)
			return nil
		}
		select {
		case err := <-exited:
			return fmt.Errorf("up: the control plane exited at start (%v):\n%s", err, tail(logPath, start))
		case <-timeout:
			return fmt.Errorf("up: the control plane (pid %d) is not ready after 2m; its log: %s", child.Process.Pid, logPath)
		case <-cmd.Context().Done():
			return cmd.Context().Err()
		case <-tick.C:
		}
	}
}

// tail returns what was written to the file at path after offset (its last 40 lines).
func tail(path string, offset int64) string {
	b, err := os.ReadFile(path)
	if err != nil || int64(len(b)) < offset {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b[offset:]), "\n"), "\n")
	if len(lines) > 40 {
		lines = lines[len(lines)-40:]
	}
	return strings.Join(lines, "\n")
}

// printInfo prints where each environment answers.
func printInfo(w io.Writer, in controlplane.Info, output string) {
	if output == "json" {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetIndent("", "  ")
		_ = enc.Encode(in)
		w.Write(b.Bytes())
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tENV\tURL\tVERSION")
	for _, s := range in.Services {
		for _, e := range s.Environments {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Name, e.Name, e.URL, orDash(e.Version))
		}
	}
	tw.Flush()
	where := "in the foreground (Ctrl-C stops the control plane; routers and instances keep serving)"
	if in.LogFile != "" {
		where = "in the background, log " + in.LogFile
	}
	fmt.Fprintf(w, "control plane pid %d %s; 'slipway down' stops everything\n", in.PID, where)
	if in.API != "" {
		fmt.Fprintf(w, "control plane API %s (OTLP traces, Alertmanager webhooks)\n", in.API)
	}
}
