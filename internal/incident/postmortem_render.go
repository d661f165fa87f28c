package incident

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"regexp"
	"strings"
)

// doc is a post-mortem before it is rendered: both renderings walk the same
// sections, so the markdown and the HTML never tell different stories.
type doc struct {
	Title    string
	Note     []string
	Sections []section
}

type section struct {
	Title  string
	Blocks []block
}

// block is one of: a paragraph (Para, with an optional bold Lead), a list, a task
// list, a table or a chart. Text may hold **bold** and `code` spans.
type block struct {
	Lead  string
	Para  string
	List  []string
	Tasks []string
	Table *table
	Chart *chart
}

type table struct {
	Head []string
	Rows [][]string
}

func para(lead, text string) block { return block{Lead: lead, Para: text} }

// markdown renders d as GitHub-flavoured markdown. Charts become their caption:
// the HTML rendering carries the drawing.
func (d *doc) markdown() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# %s\n\n", d.Title)
	for _, n := range d.Note {
		fmt.Fprintf(&b, "> %s\n", n)
	}
	if len(d.Note) > 0 {
		b.WriteString("\n")
	}
	for _, s := range d.Sections {
		fmt.Fprintf(&b, "## %s\n\n", s.Title)
		for _, bl := range s.Blocks {
			switch {
			case bl.Table != nil:
				writeTable(&b, bl.Table)
			case bl.Chart != nil:
				fmt.Fprintf(&b, "_Chart: %s._\n\n", bl.Chart.Caption)
			case bl.List != nil:
				for _, it := range bl.List {
					fmt.Fprintf(&b, "- %s\n", it)
				}
				b.WriteString("\n")
			case bl.Tasks != nil:
				for _, it := range bl.Tasks {
					fmt.Fprintf(&b, "- [ ] %s\n", it)
				}
				b.WriteString("\n")
			case bl.Lead != "":
				fmt.Fprintf(&b, "**%s** %s\n\n", bl.Lead, bl.Para)
			default:
				fmt.Fprintf(&b, "%s\n\n", bl.Para)
			}
		}
	}
	return append(bytes.TrimRight(b.Bytes(), "\n"), '\n')
}

func writeTable(b *bytes.Buffer, t *table) {
	b.WriteString("|")
	for _, h := range t.Head {
		fmt.Fprintf(b, " %s |", cell(h))
	}
	b.WriteString("\n|")
	for range t.Head {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, r := range t.Rows {
		b.WriteString("|")
		for _, c := range r {
			fmt.Fprintf(b, " %s |", cell(c))
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
}

// cell makes s safe inside a markdown table cell.
func cell(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return strings.ReplaceAll(s, "|", `\|`)
}

//go:embed postmortem.html.tmpl
var pageSource string

var pageTemplate = template.Must(template.New("postmortem").Funcs(template.FuncMap{"inline": inline}).Parse(pageSource))

// html renders d as one self-contained page: styles inline, charts as inline SVG,
// nothing fetched from anywhere.
func (d *doc) html() ([]byte, error) {
	var b bytes.Buffer
	if err := pageTemplate.Execute(&b, d); err != nil {
		return nil, fmt.Errorf("render html: %w", err)
	}
	return b.Bytes(), nil
}

var spans = regexp.MustCompile("\\*\\*([^*]+)\\*\\*|`([^`]+)`")

// inline escapes s for HTML and turns its **bold** and `code` spans into tags.
func inline(s string) template.HTML {
	var b strings.Builder
	last := 0
	for _, m := range spans.FindAllStringSubmatchIndex(s, -1) {
		b.WriteString(template.HTMLEscapeString(s[last:m[0]]))
		if m[2] >= 0 {
			b.WriteString("<strong>" + template.HTMLEscapeString(s[m[2]:m[3]]) + "</strong>")
		} else {
			b.WriteString("<code>" + template.HTMLEscapeString(s[m[4]:m[5]]) + "</code>")
		}
		last = m[1]
	}
	b.WriteString(template.HTMLEscapeString(s[last:]))
	return template.HTML(b.String())
}
