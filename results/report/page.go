package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"regexp"
	"strings"
)

// page is a report being built: sections of headings, notes, tables and
// charts, and each chart's ECharts option.
type page struct {
	Title string
	// Warnings are shown under the title, before anything else: what
	// makes the figures below less than they seem (an interrupted run).
	Warnings []string
	Sections []*section
	Charts   []chartOption
}

type section struct {
	Title  string
	Blocks []block
}

// block is one element of a section; exactly one field is set.
type block struct {
	Heading string
	Note    string
	Table   *table
	ChartID string
	// ChartGrid holds charts side by side, as many as fit the width:
	// small charts a reader compares at a glance.
	ChartGrid []string
	// Fold is a table folded away behind its summary line: detail a
	// reader opens when they need it.
	Fold *fold
}

type fold struct {
	Summary string
	Table   *table
}

type table struct {
	Head []string
	Rows [][]cell
}

// cell is a table cell; Class styles it (see page.html.tmpl): num for
// numbers, better/worse for deltas, good/bad for verdicts, diff for a
// knob that differs between runs, wrap for a sentence.
type cell struct {
	Text  string
	Class string
}

// chartOption is one chart's container id and its ECharts option, a
// JavaScript expression.
type chartOption struct {
	ID     string
	Option template.JS
}

func (p *page) warn(format string, args ...any) {
	p.Warnings = append(p.Warnings, fmt.Sprintf(format, args...))
}

func (p *page) section(title string) *section {
	s := &section{Title: title}
	p.Sections = append(p.Sections, s)
	return s
}

func (s *section) heading(h string) { s.Blocks = append(s.Blocks, block{Heading: h}) }

func (s *section) note(format string, args ...any) {
	s.Blocks = append(s.Blocks, block{Note: fmt.Sprintf(format, args...)})
}

func (s *section) table(t *table) { s.Blocks = append(s.Blocks, block{Table: t}) }

// fold adds t folded away behind summary; an empty t adds nothing.
func (s *section) fold(summary string, t *table) {
	if len(t.Rows) > 0 {
		s.Blocks = append(s.Blocks, block{Fold: &fold{Summary: summary, Table: t}})
	}
}

// charter is the part of a go-echarts chart a page needs.
type charter interface {
	Validate()
	JSONNotEscaped() template.HTML
}

// chart adds c to s. go-echarts builds the option; the page, not
// go-echarts' own templates, draws it, so that the page has tables and
// loads ECharts from itself instead of a CDN.
func (p *page) chart(s *section, c charter) {
	s.Blocks = append(s.Blocks, block{ChartID: p.option(c)})
}

// chartGrid adds cs to s side by side.
func (p *page) chartGrid(s *section, cs []charter) {
	b := block{}
	for _, c := range cs {
		b.ChartGrid = append(b.ChartGrid, p.option(c))
	}
	s.Blocks = append(s.Blocks, b)
}

// option records c's ECharts option and returns the id of its container.
func (p *page) option(c charter) string {
	id := fmt.Sprintf("chart%d", len(p.Charts)+1)
	p.Charts = append(p.Charts, chartOption{ID: id, Option: optionJS(c)})
	return id
}

// jsFuncMarker is how go-echarts marks a JavaScript function (a
// formatter) inside its JSON: "__f__function …__f__".
var jsFuncMarker = regexp.MustCompile(`"__f__|__f__"|__f__`)

// scriptEscaper keeps text from the data (a folder name, an event's
// detail) from ending the script element: inside a JavaScript string
// "<\/" is "</".
var scriptEscaper = strings.NewReplacer("</", `<\/`, "<!--", `<\!--`)

func optionJS(c charter) template.JS {
	c.Validate()
	js := string(c.JSONNotEscaped())
	js = jsFuncMarker.ReplaceAllString(strings.TrimSpace(js), "")
	return template.JS(scriptEscaper.Replace(js))
}

//go:embed page.html.tmpl
var pageSource string

var pageTemplate = template.Must(template.New("page").Parse(pageSource))

// write renders the page with ECharts inlined.
func (p *page) write(w io.Writer) error {
	return pageTemplate.Execute(w, struct {
		*page
		ECharts        template.JS
		EChartsVersion string
	}{p, template.JS(echartsJS), echartsVersion})
}
