package slo

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"

	"github.com/slipway/slipway/internal/router"
)

// Names of the series and alert the rules define.
const (
	// RecordBadRatio is the share of bad requests over a window, per service, env,
	// version and slo, recorded as slipway_slo:bad_ratio:rate<window>.
	RecordBadRatio = "slipway_slo:bad_ratio:rate"
	// RecordRequests is the number of requests over a window, per service, env and
	// version: slipway_slo:requests:increase<window>.
	RecordRequests = "slipway_slo:requests:increase"
	// AlertName is the alert every tier raises; its labels tell them apart.
	AlertName = "SlipwaySLOBurnRate"
)

// RuleFile is a Prometheus rule file (rule_files in prometheus.yml).
type RuleFile struct {
	Groups []RuleGroup `yaml:"groups" json:"groups"`
}

// RuleGroup is a group of rules Prometheus evaluates together.
type RuleGroup struct {
	Name  string `yaml:"name" json:"name"`
	Rules []Rule `yaml:"rules" json:"rules"`
}

// Rule is a recording rule (Record set) or an alerting rule (Alert set).
type Rule struct {
	Record      string            `yaml:"record,omitempty" json:"record,omitempty"`
	Alert       string            `yaml:"alert,omitempty" json:"alert,omitempty"`
	Expr        string            `yaml:"expr" json:"expr"`
	For         string            `yaml:"for,omitempty" json:"for,omitempty"`
	Labels      map[string]string `yaml:"labels,omitempty" json:"labels,omitempty"`
	Annotations map[string]string `yaml:"annotations,omitempty" json:"annotations,omitempty"`
}

// YAML renders the rule file as promtool and Prometheus read it.
func (f RuleFile) YAML() ([]byte, error) {
	out, err := yaml.MarshalWithOptions(f, yaml.IndentSequence(true), yaml.UseLiteralStyleIfMultiline(true))
	if err != nil {
		return nil, fmt.Errorf("render rule file: %w", err)
	}
	return out, nil
}

// by is the grouping of every recorded series: one per version.
const by = "sum by (" + router.LabelService + ", " + router.LabelEnv + ", " + router.LabelVersion + ")"

// Rules writes service's objectives as recording and alerting rules over the
// router's series (the same names and labels Prometheus scrapes from each router).
// env, when not empty, restricts them to one environment. Each tier's alert carries
// the labels service, env, version, slo, tier and severity (page or ticket), which
// Slipway's Alertmanager receiver maps back to what was deployed.
func Rules(service, env string, objectives []Objective) RuleFile {
	sel := router.LabelService + "=" + strconv.Quote(service)
	if env != "" {
		sel += "," + router.LabelEnv + "=" + strconv.Quote(env)
	}
	windows := windowsOf()
	var f RuleFile
	traffic := RuleGroup{Name: "slipway-slo-" + service + "-requests"}
	for _, w := range windows {
		traffic.Rules = append(traffic.Rules, Rule{
			Record: RecordRequests + w,
			Expr:   fmt.Sprintf("%s (increase(%s{%s}[%s]))", by, router.MetricRequests, sel, w),
		})
	}
	f.Groups = append(f.Groups, traffic)
	for _, o := range objectives {
		g := RuleGroup{Name: "slipway-slo-" + service + "-" + o.Name}
		svcSel := router.LabelService + "=" + strconv.Quote(service)
		sloSel := router.LabelService + "=" + strconv.Quote(service) + `,slo=` + strconv.Quote(o.Name)
		for _, w := range windows {
			g.Rules = append(g.Rules, Rule{Record: RecordBadRatio + w, Expr: badRatio(o, sel, w), Labels: map[string]string{"slo": o.Name}})
		}
		for _, t := range Tiers {
			long, short := spanName(t.Long), spanName(t.Short)
			threshold := fmt.Sprintf("%s * %s", fmtFloat(t.Rate(o.Period)), fmtFloat(o.Budget()))
			expr := fmt.Sprintf(`(
  %[1]s%[2]s{%[3]s} >= (%[4]s)
  and
  %[1]s%[5]s{%[3]s} >= (%[4]s)
)
and on (service, env, version) %[6]s%[2]s{%[8]s} >= %[7]d
and on (service, env, version) %[6]s%[5]s{%[8]s} >= %[7]d`, RecordBadRatio, long, sloSel, threshold, short, RecordRequests, o.MinRequests, svcSel)
			g.Rules = append(g.Rules, Rule{
				Alert: AlertName,
				Expr:  expr,
				Labels: map[string]string{"slo": o.Name, "tier": t.Name, "severity": string(t.Severity),
					"objective": fmtFloat(o.Target), "window": spanName(o.Period)},
				Annotations: map[string]string{
					"summary": fmt.Sprintf("%s {{ $labels.version }} in {{ $labels.env }} burns its %s budget %sx too fast (%s and %s windows)",
						service, o.Name, fmtFloat(t.Rate(o.Period)), long, short),
					"description": fmt.Sprintf("The %s objective (%s over %s) spends %g%% of its error budget in %s at this rate. Bad-request ratio over %s: {{ $value | humanizePercentage }}.",
						o.Name, percent(o.Target), spanName(o.Period), t.Spend*100, long, long),
				},
			})
		}
		f.Groups = append(f.Groups, g)
	}
	return f
}

// badRatio is the PromQL of o's bad-request share over window w.
func badRatio(o Objective, sel, w string) string {
	if o.Latency <= 0 {
		return fmt.Sprintf("%[1]s (rate(%[2]s{%[3]s,code=~\"5..\"}[%[4]s]))\n/\n%[1]s (rate(%[2]s{%[3]s}[%[4]s]))", by, router.MetricRequests, sel, w)
	}
	le := strconv.FormatFloat(o.Latency.Seconds(), 'g', -1, 64)
	return fmt.Sprintf("1 - (\n  %[1]s (rate(%[2]s_bucket{%[3]s,le=%[4]q}[%[5]s]))\n  /\n  %[1]s (rate(%[2]s_count{%[3]s}[%[5]s]))\n)",
		by, router.MetricDuration, sel, le, w)
}

// windowsOf lists every window the tiers read, shortest first, as PromQL writes them.
func windowsOf() []string {
	seen := map[string]bool{}
	var out []string
	for _, t := range Tiers {
		for _, w := range []string{spanName(t.Short), spanName(t.Long)} {
			if !seen[w] {
				seen[w] = true
				out = append(out, w)
			}
		}
	}
	return out
}

func fmtFloat(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }

func percent(v float64) string {
	return strings.TrimRight(strings.TrimRight(strconv.FormatFloat(v*100, 'f', 4, 64), "0"), ".") + "%"
}
