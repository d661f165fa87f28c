package incident

import (
	"fmt"
	"html/template"
	"math"
	"strings"
	"time"
)

// chart is one drawing of a post-mortem: an inline SVG and what it shows.
type chart struct {
	Caption string
	SVG     template.HTML
}

// series is one line of a chart: a version's value of a metric over time.
type series struct {
	Name   string
	Points []point
}

type point struct {
	At time.Time
	V  float64
}

// marker is a moment drawn as a vertical line across the chart (the rollback), or
// a value drawn as a horizontal one (a threshold) when At is zero.
type marker struct {
	At    time.Time
	V     float64
	Label string
}

// Chart geometry, in SVG user units.
const (
	chartW, chartH             = 720, 280
	padL, padR, padT, padB     = 72, 24, 36, 44
	plotW, plotH               = chartW - padL - padR, chartH - padT - padB
	chartTicks                 = 4
	legendGap                  = 150
	markerColor, gridColor     = "#cf222e", "#d0d7de"
	axisTextColor, titleColour = "#59636e", "#1f2328"
)

// seriesColors tell versions apart: the candidate first, then the stable.
var seriesColors = []string{"#d1242f", "#0969da", "#1a7f37", "#8250df"}

// lineChart draws the series over time with y from zero, labelled with format,
// and the markers as dashed vertical lines. It never fails: with no points it
// draws empty axes.
func lineChart(title string, format func(float64) string, ss []series, marks []marker) chart {
	var t0, t1 time.Time
	top := 0.0
	extend := func(at time.Time) {
		if t0.IsZero() || at.Before(t0) {
			t0 = at
		}
		if at.After(t1) {
			t1 = at
		}
	}
	for _, s := range ss {
		for _, p := range s.Points {
			extend(p.At)
			top = math.Max(top, p.V)
		}
	}
	for _, m := range marks {
		if m.At.IsZero() {
			top = math.Max(top, m.V)
			continue
		}
		extend(m.At)
	}
	top = niceCeil(top)
	spanT := t1.Sub(t0)
	if spanT <= 0 {
		spanT = time.Second
	}
	x := func(at time.Time) float64 { return padL + float64(plotW)*float64(at.Sub(t0))/float64(spanT) }
	y := func(v float64) float64 { return padT + float64(plotH)*(1-v/top) }

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s" font-family="sans-serif" font-size="12">`,
		chartW, chartH, chartW, chartH, esc(title))
	fmt.Fprintf(&b, `<text x="%d" y="20" font-size="14" font-weight="bold" fill="%s">%s</text>`, padL, titleColour, esc(title))
	for i := 0; i <= chartTicks; i++ {
		v := top * float64(i) / chartTicks
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="%s" stroke-width="1"/>`, padL, y(v), chartW-padR, y(v), gridColor)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end" fill="%s">%s</text>`, padL-6, y(v)+4, axisTextColor, esc(format(v)))
		at := t0.Add(time.Duration(float64(spanT) * float64(i) / chartTicks))
		anchor := map[int]string{0: "start", chartTicks: "end"}[i]
		if anchor == "" {
			anchor = "middle"
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="%s" fill="%s">%s</text>`, x(at), chartH-padB+18, anchor, axisTextColor, at.UTC().Format("15:04:05"))
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end" fill="%s">UTC</text>`, chartW-padR, chartH-6, axisTextColor)
	for _, m := range marks {
		if m.At.IsZero() {
			fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="%s" stroke-width="1" stroke-dasharray="2 3"/>`, padL, y(m.V), chartW-padR, y(m.V), axisTextColor)
			fmt.Fprintf(&b, `<text x="%d" y="%.1f" fill="%s">%s</text>`, padL+4, y(m.V)-4, axisTextColor, esc(m.Label))
			continue
		}
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s" stroke-width="1.5" stroke-dasharray="5 4"/>`, x(m.At), padT, x(m.At), chartH-padB, markerColor)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="end" fill="%s">%s</text>`, x(m.At)-4, padT+12, markerColor, esc(m.Label))
	}
	for i, s := range ss {
		color := seriesColors[i%len(seriesColors)]
		var pts []string
		for _, p := range s.Points {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(p.At), y(p.V)))
		}
		if len(pts) > 0 {
			fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`, color, strings.Join(pts, " "))
		}
		for _, p := range s.Points {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="2.5" fill="%s"><title>%s %s at %s</title></circle>`,
				x(p.At), y(p.V), color, esc(s.Name), esc(format(p.V)), p.At.UTC().Format("15:04:05"))
		}
		lx := padL + i*legendGap
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="14" height="4" fill="%s"/><text x="%d" y="%d" fill="%s">%s</text>`,
			lx, chartH-12, color, lx+18, chartH-7, titleColour, esc(s.Name))
	}
	b.WriteString(`</svg>`)
	return chart{Caption: title, SVG: template.HTML(b.String())}
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten, so the axis reads well.
func niceCeil(v float64) float64 {
	if v <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

func esc(s string) string { return template.HTMLEscapeString(s) }
