package reports_test

import (
	"bytes"
	"html"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"lab/internal/testtool"
	"lab/lab/results"
	"lab/reports"
)

// TestJUnitValidatesAgainstTheSchema writes junit.xml for a passing and a
// failing run and validates both with xmllint against the JUnit schema CI
// viewers read.
func TestJUnitValidatesAgainstTheSchema(t *testing.T) {
	xmllint := testtool.Require(t, "xmllint", "libxml2-utils")
	for name, r := range map[string]*results.Result{"pass": outage(1), "fail": outage(0.5)} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := reports.WriteAll(dir, r); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(xmllint, "--noout", "--schema", "testdata/junit.xsd", filepath.Join(dir, "junit.xml")).CombinedOutput()
			if err != nil {
				t.Fatalf("junit.xml does not validate: %v\n%s", err, out)
			}
			b, _ := os.ReadFile(filepath.Join(dir, "junit.xml"))
			if name == "fail" && !bytes.Contains(b, []byte(`failures="1"`)) {
				t.Errorf("the failing run's junit.xml does not count its failure:\n%s", b)
			}
			if !bytes.Contains(b, []byte("payments (service)")) {
				t.Errorf("junit.xml does not carry the blast radius in system-out")
			}
		})
	}
}

func TestBlastRadiusIsReadOffOneTable(t *testing.T) {
	var md bytes.Buffer
	dir := t.TempDir()
	if err := reports.WriteAll(dir, outage(0.5)); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "report.md"))
	md.Write(b)
	for _, want := range []string{"- `checkout` during payments-down: failed, 50.0% ok (50.0 points less)", "| browse | isolated |", "| checkout | failed: 50.0% ok", "| payments (service) | failed", "| checkout | 0 s |"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("report.md has no %q:\n%s", want, md.String())
		}
	}
}

func TestDiffFlagsARegressionOnly(t *testing.T) {
	good, bad := outage(1), outage(0.5)
	rows := reports.Diff(good, good, reports.DefaultDiff)
	if n := reports.Regressions(good, good, rows); n != 0 {
		t.Fatalf("a run against itself: %d regressions, want 0", n)
	}
	rows = reports.Diff(good, bad, reports.DefaultDiff)
	var flagged []string
	for _, r := range rows {
		if r.Regression != "" {
			flagged = append(flagged, r.Phase+"/"+r.Endpoint+": "+r.Regression)
		}
	}
	if len(flagged) != 1 || !strings.HasPrefix(flagged[0], "payments-down/checkout: success -50.00 points") {
		t.Fatalf("flagged %q, want only payments-down/checkout's success drop", flagged)
	}
	if n := reports.Regressions(good, bad, rows); n != 2 {
		t.Fatalf("%d regressions, want 2 (checkout, and the verdict gone from pass to fail)", n)
	}
}

// TestHTMLIsSelfContained: nothing in report.html fetches from a network.
func TestHTMLIsSelfContained(t *testing.T) {
	dir := t.TempDir()
	if err := reports.WriteAll(dir, outage(1)); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "report.html"))
	if m := regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?(https?:)?//|url\(\s*["']?(https?:)?//|<script|<link`).Find(b); m != nil {
		t.Fatalf("report.html fetches something: %s", m)
	}
	if got := bytes.Count(b, []byte("<svg")); got < 5 {
		t.Fatalf("report.html has %d charts, want rate, errors, a latency chart per endpoint, breakers, instances", got)
	}
}

// TestHTMLRendersInChromium opens report.html in headless Chromium, takes a
// screenshot and checks that the charts were drawn: the fault's window
// shaded across the charts, and the breaker lane red where it was open.
func TestHTMLRendersInChromium(t *testing.T) {
	chromium := testtool.Require(t, "chromium", "chromium")
	dir := t.TempDir()
	if err := reports.WriteAll(dir, outage(1)); err != nil {
		t.Fatal(err)
	}
	img := screenshot(t, chromium, filepath.Join(dir, "report.html"), "1280,3200")
	shade := count(img, reports.ShadeColor)
	open := count(img, reports.OpenColor)
	// The legend's swatches are 14x14 pixels; charts are far larger.
	if shade < 20000 {
		t.Errorf("%d pixels of the fault's shade, want the window shaded on every chart", shade)
	}
	if open < 2000 {
		t.Errorf("%d pixels of open-breaker red, want the breaker lane open during the fault", open)
	}
}

// screenshot opens page in headless Chromium at size ("1280,3200") and
// returns what it drew.
func screenshot(t *testing.T, chromium, page, size string) image.Image {
	t.Helper()
	dir := t.TempDir()
	shot := filepath.Join(dir, "shot.png")
	cmd := exec.Command(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--disable-background-networking", "--hide-scrollbars", "--window-size="+size,
		"--user-data-dir="+filepath.Join(dir, "profile"), "--screenshot="+shot, "file://"+page)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, out)
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func count(img image.Image, c color.Color) int {
	cr, cg, cb, _ := c.RGBA()
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if near(r, cr) && near(g, cg) && near(bl, cb) {
				n++
			}
		}
	}
	return n
}

func near(a, b uint32) bool {
	d := int(a>>8) - int(b>>8)
	return d >= -3 && d <= 3
}

// TestThresholdsInEveryFormat: a crossed k6 threshold of the user's script
// is a row in the terminal, report.json, report.md, report.html and
// junit.xml (a failed test case there), with its expression and the value
// k6 observed; an abort is said in each human format.
func TestThresholdsInEveryFormat(t *testing.T) {
	r := outage(1)
	r.Verdict, r.Reason = results.Fail, "1 of 2 k6 thresholds crossed"
	r.Aborted = "k6 stopped the load after 3s of 24s: a threshold with abortOnFail was crossed"
	r.Thresholds = []results.ThresholdResult{
		{Name: "http_req_duration{name:browse}", Expression: "p(95)<0.001", Observed: "p(95)=1.93", Pass: false},
		{Name: "http_req_failed", Expression: "rate<0.5", Observed: "rate=0", Pass: true},
	}
	dir := t.TempDir()
	if err := reports.WriteAll(dir, r); err != nil {
		t.Fatal(err)
	}
	var term bytes.Buffer
	reports.Terminal(&term, r)
	files := map[string]string{"terminal": term.String()}
	for _, f := range []string{"report.json", "report.md", "report.html", "junit.xml"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		files[f] = string(b)
	}
	for name, text := range files {
		if name == "junit.xml" || name == "report.html" {
			text = html.UnescapeString(text)
		}
		for _, want := range []string{"p(95)<0.001", "p(95)=1.93", "rate<0.5"} {
			if !strings.Contains(text, want) {
				t.Errorf("%s has no %q", name, want)
			}
		}
		if name != "report.json" && name != "junit.xml" && !strings.Contains(text, "abortOnFail") {
			t.Errorf("%s does not say the load was aborted", name)
		}
	}
	if !strings.Contains(files["junit.xml"], `<failure message="k6 threshold crossed: http_req_duration{name:browse} p(95)&lt;0.001`) {
		t.Errorf("junit.xml has no failed case for the crossed threshold:\n%s", files["junit.xml"])
	}
}
