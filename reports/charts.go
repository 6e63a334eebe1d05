package reports

import (
	"bytes"
	"fmt"
	"html/template"
	"image/color"
	"lab/lab/results"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Charts are drawn with gonum/plot into SVG, inlined in report.html: no
// script, no network fetch, and the same picture in any browser, on a
// projector and in a headless screenshot.

// Colors of the charts; the HTML legend and the screenshot test use them too.
var (
	shadeColor = color.NRGBA{R: 0xf4, G: 0xc7, B: 0xc3, A: 0xff} // a fault's window
	closedC    = color.NRGBA{R: 0x2e, G: 0x9e, B: 0x5b, A: 0xff}
	openC      = color.NRGBA{R: 0xd9, G: 0x30, B: 0x25, A: 0xff}
	halfOpenC  = color.NRGBA{R: 0xf2, G: 0xa9, B: 0x00, A: 0xff}
	// palette is Okabe and Ito's, which stays apart for colour-blind eyes
	// and on a washed-out projector; browse and product, which a class
	// compares most, get blue and orange.
	palette = []color.Color{
		color.NRGBA{R: 0x00, G: 0x72, B: 0xb2, A: 0xff}, // blue
		color.NRGBA{R: 0xe6, G: 0x9f, B: 0x00, A: 0xff}, // orange
		color.NRGBA{R: 0x00, G: 0x9e, B: 0x73, A: 0xff}, // bluish green
		color.NRGBA{R: 0xcc, G: 0x79, B: 0xa7, A: 0xff}, // reddish purple
		color.NRGBA{R: 0x56, G: 0xb4, B: 0xe9, A: 0xff}, // sky blue
		color.NRGBA{R: 0xd5, G: 0x5e, B: 0x00, A: 0xff}, // vermillion
		color.NRGBA{R: 0x00, G: 0x00, B: 0x00, A: 0xff}, // black
	}
)

// legendItem is one line of a chart's legend, drawn in HTML under the
// chart so that it never covers the data.
type legendItem struct {
	Name  string
	Color string
}

type line struct {
	name  string
	pts   plotter.XYs
	color color.Color // nil: the palette's, by position
}

type shade struct {
	name     string
	from, to float64
}

// faultShades returns the fault windows in seconds of the measured load.
func faultShades(r *results.Result) []shade {
	var out []shade
	for _, p := range r.Phases {
		for _, f := range r.Faults {
			if f.Name == p.Name {
				out = append(out, shade{name: f.Name, from: float64(p.StartS), to: float64(p.EndS)})
				break
			}
		}
	}
	return out
}

// lineChart draws lines over the run's seconds with the fault windows shaded
// and named; it returns the legend for the page to draw beside it.
func lineChart(title, ylabel string, lines []line, shades []shade, seconds float64, w, h vg.Length) (template.HTML, []legendItem, error) {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "seconds"
	p.Y.Label.Text = ylabel
	p.X.Min, p.X.Max = 0, seconds
	p.X.Tick.Marker, p.Y.Tick.Marker = oneFormat{}, oneFormat{}
	ymax := 1.0
	for _, l := range lines {
		for _, pt := range l.pts {
			ymax = max(ymax, pt.Y)
		}
	}
	ymax *= 1.15
	p.Y.Min, p.Y.Max = 0, ymax
	if err := addShades(p, shades, 0, ymax); err != nil {
		return "", nil, err
	}
	p.Add(plotter.NewGrid())
	var legend []legendItem
	for i, l := range lines {
		if len(l.pts) == 0 {
			continue
		}
		ln, err := plotter.NewLine(l.pts)
		if err != nil {
			return "", nil, err
		}
		ln.Color = l.color
		if ln.Color == nil {
			ln.Color = palette[i%len(palette)]
		}
		ln.Width = vg.Points(1.6)
		p.Add(ln)
		legend = append(legend, legendItem{Name: l.name, Color: hex(ln.Color)})
	}
	svg, err := svgOf(p, w, h)
	return svg, legend, err
}

// oneFormat labels a axis's ticks with the default ticks' positions, all
// with as many decimals as the finest of them needs ("0.0, 2.5, 5.0", not
// "0, 2.5, 5"), so that the labels of one axis read alike.
type oneFormat struct{}

func (oneFormat) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(lo, hi)
	decimals := 0
	for _, t := range ticks {
		if t.Label == "" {
			continue
		}
		for d := 0; d <= 6; d++ {
			if s := strconv.FormatFloat(t.Value, 'f', d, 64); math.Abs(mustParse(s)-t.Value) <= 1e-9*max(1, math.Abs(t.Value)) || d == 6 {
				decimals = max(decimals, d)
				break
			}
		}
	}
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = strconv.FormatFloat(ticks[i].Value, 'f', decimals, 64)
		}
	}
	return ticks
}

func mustParse(s string) float64 {
	v, _ := strconv.ParseFloat(s, 64)
	return v
}

func addShades(p *plot.Plot, shades []shade, ymin, ymax float64) error {
	var labels plotter.XYLabels
	for _, s := range shades {
		poly, err := plotter.NewPolygon(plotter.XYs{{X: s.from, Y: ymin}, {X: s.to, Y: ymin}, {X: s.to, Y: ymax}, {X: s.from, Y: ymax}})
		if err != nil {
			return err
		}
		poly.Color = shadeColor
		poly.LineStyle.Width = 0
		p.Add(poly)
		labels.XYs = append(labels.XYs, plotter.XY{X: s.from, Y: ymax - (ymax-ymin)*0.02})
		labels.Labels = append(labels.Labels, " "+s.name)
	}
	if len(labels.Labels) > 0 {
		l, err := plotter.NewLabels(labels)
		if err != nil {
			return err
		}
		for i := range l.TextStyle {
			l.TextStyle[i].YAlign = -1 // below the point: inside the window's top
		}
		p.Add(l)
	}
	return nil
}

// breakerLanes draws a lane per edge: its breaker closed, open or
// half-open over the run, from the callers' recorded transitions; and a
// lane per callee instance a caller ejected (gateway->catalog-2), red while
// it was out.
func breakerLanes(r *results.Result, shades []shade, seconds float64, w vg.Length) (template.HTML, error) {
	edges := map[string]bool{}
	for _, e := range r.Edges {
		edges[e.Edge] = true
	}
	for _, t := range r.Breakers {
		edges[t.Edge] = true
	}
	if len(edges) == 0 {
		return "", nil
	}
	names := slices.Sorted(maps.Keys(edges))
	p := plot.New()
	p.Title.Text = "circuit breakers and ejected instances (green closed, amber half-open, red open or ejected)"
	p.X.Label.Text = "seconds"
	p.X.Tick.Marker = oneFormat{}
	p.X.Min, p.X.Max = 0, seconds
	ymin, ymax := -0.5, float64(len(names))-0.5
	p.Y.Min, p.Y.Max = ymin, ymax
	if err := addShades(p, shades, ymin, ymax); err != nil {
		return "", err
	}
	for i, edge := range names {
		var ts []results.BreakerTransition
		for _, t := range r.Breakers {
			if t.Edge == edge {
				ts = append(ts, t)
			}
		}
		sort.Slice(ts, func(a, b int) bool { return ts[a].AtS < ts[b].AtS })
		state, from := "closed", 0.0
		spans := func(to float64) error {
			if to <= from {
				return nil
			}
			if state != "closed" && to-from < 0.25 {
				to = from + 0.25 // a short half-open still shows
			}
			c := map[string]color.Color{"closed": closedC, "open": openC, results.Ejected: openC, "half-open": halfOpenC}[state]
			if c == nil {
				c = halfOpenC
			}
			y := float64(i)
			poly, err := plotter.NewPolygon(plotter.XYs{{X: from, Y: y - 0.3}, {X: to, Y: y - 0.3}, {X: to, Y: y + 0.3}, {X: from, Y: y + 0.3}})
			if err != nil {
				return err
			}
			poly.Color, poly.LineStyle.Width = c, 0
			p.Add(poly)
			return nil
		}
		for _, t := range ts {
			at := max(0, min(t.AtS, seconds))
			if err := spans(at); err != nil {
				return "", err
			}
			state, from = strings.ReplaceAll(t.To, "_", "-"), at
		}
		if err := spans(seconds); err != nil {
			return "", err
		}
	}
	p.NominalY(names...)
	return svgOf(p, w, vg.Points(float64(60+34*len(names))))
}

func svgOf(p *plot.Plot, w, h vg.Length) (template.HTML, error) {
	c := vgsvg.New(w, h)
	p.Draw(draw.New(c))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return "", err
	}
	s := buf.String()
	if i := strings.Index(s, "<svg"); i >= 0 {
		s = s[i:] // drop the XML declaration: the SVG is inlined in HTML
	}
	return template.HTML(s), nil //nolint:gosec // our own drawing
}

func hex(c color.Color) string {
	r, g, b, _ := c.RGBA()
	return fmt.Sprintf("#%02x%02x%02x", r>>8, g>>8, b>>8)
}

// Colors the screenshot test looks for.
var (
	ShadeColor color.Color = shadeColor // a fault's window
	OpenColor  color.Color = openC      // an open breaker
)
