package prometheus

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"text/template"

	dataplane "github.com/slipway/slipway/internal/router"
)

// Queries are the PromQL templates the provider evaluates for one version. Each is a
// text/template over .Service, .Env, .Version and .Track, which arrive escaped for
// use inside a double-quoted PromQL string ("{{.Version}}"). .Track is "baseline"
// when a rollout reads the fresh instances of the stable version it started beside
// the candidate, and empty for a version's own instances: a custom query over
// series with a track label should select on it, or it counts the baseline with
// the stable version. An empty field takes its default
// (see DefaultQueries), written over the series Slipway's router exports, so the same
// names and labels serve from a laptop to a cluster.
type Queries struct {
	// Requests is an instant vector of cumulative request counts, one sample per
	// route when the samples carry a "route" label (Series.Routes is filled then).
	Requests string `json:"requests,omitempty" yaml:"requests,omitempty"`
	// Errors is like Requests, counting server errors (status >= 500) only.
	Errors string `json:"errors,omitempty" yaml:"errors,omitempty"`
	// Buckets is the cumulative latency histogram: one sample per "le" label, in
	// seconds, including le="+Inf".
	Buckets string `json:"buckets,omitempty" yaml:"buckets,omitempty"`
	// Sum is the total latency in seconds (zero or more samples, added up).
	Sum string `json:"sum,omitempty" yaml:"sum,omitempty"`
	// Up says whether the data behind the other queries is live: it must return at
	// least one sample and every sample must be above zero, or Query fails. The
	// default is the scrape health of every target that exported the service's
	// router series in the last five minutes: an empty result means no router
	// serves the service and env, a zero means a router's scrape is failing.
	Up string `json:"up,omitempty" yaml:"up,omitempty"`
}

// selector picks one version's series on one track: the baseline's when .Track is
// set, the version's own otherwise (including series from before tracks existed,
// which have no track label).
const selector = dataplane.LabelService + `="{{.Service}}",` + dataplane.LabelEnv + `="{{.Env}}",` +
	dataplane.LabelVersion + `="{{.Version}}",` + dataplane.LabelTrack +
	`{{if .Track}}="{{.Track}}"{{else}}!="` + dataplane.TrackBaseline + `"{{end}}`

// DefaultQueries returns the queries over the router's series.
func DefaultQueries() Queries {
	return Queries{
		Requests: `sum by (route) (` + dataplane.MetricRequests + `{` + selector + `})`,
		Errors:   `sum by (route) (` + dataplane.MetricRequests + `{` + selector + `,code=~"5.."})`,
		Buckets:  `sum by (le) (` + dataplane.MetricDuration + `_bucket{` + selector + `})`,
		Sum:      `sum(` + dataplane.MetricDuration + `_sum{` + selector + `})`,
		Up: `up * on (job, instance) group by (job, instance) (last_over_time(` + dataplane.MetricWeight +
			`{service="{{.Service}}",env="{{.Env}}"}[5m]))`,
	}
}

// templates are the parsed Queries, in a fixed order.
type templates struct {
	requests, errors, buckets, sum, up *template.Template
}

// vars is what a query template sees.
type vars struct {
	Service, Env, Version, Track string
}

func parseQueries(q Queries) (templates, error) {
	def := DefaultQueries()
	var t templates
	var errs []error
	for _, f := range []struct {
		name      string
		text, def string
		dst       **template.Template
	}{
		{"requests", q.Requests, def.Requests, &t.requests},
		{"errors", q.Errors, def.Errors, &t.errors},
		{"buckets", q.Buckets, def.Buckets, &t.buckets},
		{"sum", q.Sum, def.Sum, &t.sum},
		{"up", q.Up, def.Up, &t.up},
	} {
		text := f.text
		if strings.TrimSpace(text) == "" {
			text = f.def
		}
		tmpl, err := template.New(f.name).Option("missingkey=error").Parse(text)
		if err == nil {
			// Catch references to fields that do not exist now, not at the first Query.
			_, err = render(tmpl, analysisVars("service", "env", "version", "track"))
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("queries.%s: %w (templates may use {{.Service}}, {{.Env}}, {{.Version}} and {{.Track}})", f.name, err))
			continue
		}
		*f.dst = tmpl
	}
	return t, errors.Join(errs...)
}

func render(t *template.Template, v vars) (string, error) {
	var b bytes.Buffer
	if err := t.Execute(&b, v); err != nil {
		return "", err
	}
	return b.String(), nil
}

// analysisVars escapes the query's values for a double-quoted PromQL string.
func analysisVars(service, env, version, track string) vars {
	return vars{Service: escape(service), Env: escape(env), Version: escape(version), Track: escape(track)}
}

var escaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", `\r`, "\t", `\t`)

func escape(s string) string { return escaper.Replace(s) }
