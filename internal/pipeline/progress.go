package pipeline

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// tailLines is how many lines of a failed step's log are shown.
const tailLines = 15

// progress prints human lines about a run. Only the scheduling goroutine calls it.
type progress struct {
	out   io.Writer
	width int
}

func (p *progress) printf(format string, args ...any) {
	if p.out != nil {
		fmt.Fprintf(p.out, format, args...)
	}
}

func (p *progress) header(s Spec, n int) {
	what := s.Kind
	if s.Branch != "" {
		what += " " + s.Branch
	}
	if s.Commit != "" {
		what += " @" + short(s.Commit)
	}
	p.printf("pipeline %s: %d steps\n", strings.TrimSpace(what), n)
}

func (p *progress) step(res StepResult, st planned) {
	name := fmt.Sprintf("%-*s", p.width, res.Name)
	switch {
	case res.Status == Skipped:
		p.printf("  - %s skipped (%s)\n", name, res.Note)
	case res.Cached:
		p.printf("  ✓ %s cached (%s, key %s)\n", name, seconds(res.Duration), res.Key[:8])
	case res.Status == Passed:
		p.printf("  ✓ %s %s\n", name, seconds(res.Duration))
	default:
		why := fmt.Sprintf("exit %d", res.ExitCode)
		if res.Note != "" {
			why = res.Note
		}
		p.printf("  ✗ %s %s (%s) log: %s\n", name, seconds(res.Duration), why, st.log)
		for _, line := range tail(st.log, tailLines) {
			p.printf("      | %s\n", line)
		}
	}
}

func (p *progress) warn(msg string) { p.printf("  ! %s\n", msg) }

func (p *progress) footer(res Result, failed, skipped []string) {
	if res.Passed {
		p.printf("pipeline passed in %s (%s)\n", seconds(res.Duration), res.Run)
		return
	}
	var why []string
	if len(failed) > 0 {
		why = append(why, "failed: "+strings.Join(failed, ", "))
	}
	if len(skipped) > 0 {
		why = append(why, fmt.Sprintf("%d skipped", len(skipped)))
	}
	p.printf("pipeline failed in %s: %s (%s)\n", seconds(res.Duration), strings.Join(why, "; "), res.Run)
}

// seconds formats a duration the way progress lines show it: 0.4s, 2.1s, 1m30s.
func seconds(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	return d.Round(time.Second).String()
}

// tail returns the last n lines of a file (an empty slice when it cannot be read).
func tail(path string, n int) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return lines
}
