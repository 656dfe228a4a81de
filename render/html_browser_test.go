package render

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// findChromium returns the Chromium to test pages in: TCPSHOW_CHROMIUM, or
// Debian's chromium on the PATH.
func findChromium() string {
	if p := os.Getenv("TCPSHOW_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// TestHTMLInChromium loads the page of a capture in headless Chromium: it
// must load without console errors or requests for anything outside
// itself, a click on an arrow must show that packet's header table and
// only that one, and a screenshot is taken (kept in
// TCPSHOW_SCREENSHOT_DIR if set). ./test.sh installs Debian's chromium;
// the test skips where there is none.
func TestHTMLInChromium(t *testing.T) {
	chrome := findChromium()
	if chrome == "" {
		t.Skip("no Chromium (apt-get install chromium, or set TCPSHOW_CHROMIUM): ./test.sh installs it")
	}
	if testing.Short() {
		t.Skip("starts a browser: not in -short mode")
	}
	dir := t.TempDir()
	page := filepath.Join(dir, "handshake.html")
	if err := os.WriteFile(page, renderFile(t, "../testdata/handshake.pcap", "html", Options{Explain: true}), 0o644); err != nil {
		t.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chrome),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(filepath.Join(dir, "profile")),
		chromedp.WindowSize(1400, 1000),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	defer acancel()
	var mu sync.Mutex
	var problems []string
	listen := func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			problems = append(problems, "exception: "+e.ExceptionDetails.Text)
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeWarning {
				problems = append(problems, "console "+string(e.Type))
			}
		case *log.EventEntryAdded:
			if e.Entry.Level == log.EntryLevelError || e.Entry.Level == log.EntryLevelWarning {
				problems = append(problems, "log: "+e.Entry.Text)
			}
		case *network.EventRequestWillBeSent:
			if u := e.Request.URL; !strings.HasPrefix(u, "file://") {
				problems = append(problems, "request for "+u)
			}
		}
	}
	bctx, bcancel := chromedp.NewContext(actx, chromedp.WithListener(listen))
	defer bcancel()

	var hiddenBefore, hiddenAfter, othersHidden bool
	var table string
	var shot []byte
	err := chromedp.Do(bctx,
		chromedp.Navigate("file://"+page),
		chromedp.WaitVisible(chromedp.ID("c1-f4")),
	)
	if err == nil {
		hiddenBefore, err = chromedp.Run(bctx, chromedp.Evaluate[bool](`document.getElementById("c1-f4-info").hidden`))
	}
	if err == nil {
		err = chromedp.Do(bctx, chromedp.Click(chromedp.CSS("#c1-f4 line.hit")), chromedp.WaitVisible(chromedp.ID("c1-f4-info")))
	}
	if err == nil {
		hiddenAfter, err = chromedp.Run(bctx, chromedp.Evaluate[bool](`document.getElementById("c1-f4-info").hidden`))
	}
	if err == nil {
		othersHidden, err = chromedp.Run(bctx, chromedp.Evaluate[bool](`Array.from(document.querySelectorAll(".info")).every(function (e) { return e.id === "c1-f4-info" || e.hidden; })`))
	}
	if err == nil {
		table, err = chromedp.Run(bctx, chromedp.Text(chromedp.ID("c1-f4-info")))
	}
	if err == nil {
		shot, err = chromedp.Run(bctx, chromedp.FullScreenshot(100))
	}
	if !hiddenBefore || hiddenAfter || !othersHidden {
		t.Errorf("table of frame 4: hidden before the click %v, after %v; the others hidden %v", hiddenBefore, hiddenAfter, othersHidden)
	}
	for _, want := range []string{"Frame 4", "Sequence Number", "rel 1 · raw 1975992794", "Hello from client", "seq 1:18 is end-exclusive"} {
		if !strings.Contains(table, want) {
			t.Errorf("the table shown lacks %q:\n%s", want, table)
		}
	}
	mu.Lock()
	for _, p := range problems {
		t.Errorf("page: %s", p)
	}
	mu.Unlock()
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil || img.Bounds().Dx() < 800 || img.Bounds().Dy() < 500 {
		t.Fatalf("screenshot: %v (%v)", err, img)
	}
	keep := os.Getenv("TCPSHOW_SCREENSHOT_DIR")
	if keep == "" {
		keep = dir
	}
	out := filepath.Join(keep, "handshake-html.png")
	if err := os.WriteFile(out, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s (%dx%d)", out, img.Bounds().Dx(), img.Bounds().Dy())
}
