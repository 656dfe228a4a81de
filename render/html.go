package render

import (
	"fmt"
	"html"
	"io"
	"strconv"
	"strings"
)

// HTML writes one self-contained, offline web page: for each conversation
// its SVG ladder (as the svg format draws it) beside a panel that shows the
// full header table of a packet (HeaderRows) when its arrow is clicked,
// focused or hovered, with the packet's teaching notes under
// Options.Explain. Everything the page needs is inside it: its style sheet
// and a small script, and a Content-Security-Policy that forbids any
// fetch. Conversations are written as they end, so the page streams.
type HTML struct {
	*Collector
	w       io.Writer
	o       Options
	started bool
}

// NewHTML returns an HTML writer; o.MaxRows bounds the packets held per
// conversation.
func NewHTML(w io.Writer, o Options) *HTML {
	h := &HTML{w: w, o: o}
	h.Collector = NewCollector(CollectorOptions{MaxRows: o.MaxRows}, h.draw)
	return h
}

// htmlHead is the page up to the first conversation.
const htmlHead = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="tcpshow">
<title>tcpshow ladder diagrams</title>
<style>
body{font-family:"DejaVu Sans",Helvetica,Arial,sans-serif;margin:16px;color:#222;background:#fff}
h1{font-size:20px;margin:0 0 4px}
p.hint{color:#666;margin:0 0 16px}
section.conv{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start;border-top:1px solid #ddd;padding-top:12px;margin-bottom:24px}
.ladder{flex:0 0 auto}
.panel{flex:1 1 420px;min-width:360px;position:sticky;top:8px;max-height:96vh;overflow:auto}
.panel .empty{color:#888;font-style:italic}
table.hdr{border-collapse:collapse;font-size:13px;width:100%}
table.hdr caption{text-align:left;font-weight:bold;padding:4px 0 8px;font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace}
table.hdr th,table.hdr td{border:1px solid #ccc;padding:2px 6px;text-align:left;vertical-align:top}
table.hdr th{background:#f2f2f2}
table.hdr td.v{font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace}
ul.notes{background:#f7f4ff;border-left:4px solid #5a3d99;margin:8px 0;padding:8px 8px 8px 28px}
g.pkt{cursor:pointer}
g.pkt:hover line.arrow,g.pkt:focus line.arrow,g.pkt.selected line.arrow{stroke-width:4}
g.pkt.selected text.label{font-weight:bold}
g.pkt:focus{outline:none}
</style>
</head>
<body>
<h1>tcpshow ladder diagrams</h1>
<p class="hint">Click, hover or tab to an arrow to see that packet's headers.</p>
`

// htmlScript shows a packet's table when its arrow is chosen.
const htmlScript = `<script>
"use strict";
(function () {
  function show(g) {
    var sec = g.closest("section.conv");
    if (!sec) { return; }
    var panel = sec.querySelector(".panel");
    var tbl = document.getElementById(g.id + "-info");
    if (!panel || !tbl) { return; }
    panel.querySelectorAll(".info").forEach(function (t) { t.hidden = true; });
    sec.querySelectorAll("g.pkt.selected").forEach(function (p) { p.classList.remove("selected"); });
    var empty = panel.querySelector(".empty");
    if (empty) { empty.hidden = true; }
    tbl.hidden = false;
    g.classList.add("selected");
  }
  document.querySelectorAll("g.pkt").forEach(function (g) {
    g.addEventListener("click", function () { show(g); });
    g.addEventListener("mouseenter", function () { show(g); });
    g.addEventListener("focus", function () { show(g); });
  });
})();
</script>
`

func (h *HTML) start() error {
	if h.started {
		return nil
	}
	h.started = true
	_, err := io.WriteString(h.w, htmlHead)
	return err
}

func (h *HTML) draw(d *Diagram) error {
	if err := h.start(); err != nil {
		return err
	}
	var b strings.Builder
	ids := svgIDs{prefix: "c" + strconv.Itoa(d.ID)}
	fmt.Fprintf(&b, `<section class="conv" id="%s">`+"\n", ids.prefix)
	var svg strings.Builder
	height := drawSVGDiagram(&svg, d, &h.o, ids, 0)
	b.WriteString(`<div class="ladder">` + "\n")
	writeSVGOpen(&b, svgWidth, height)
	b.WriteString(svg.String())
	b.WriteString("</svg>\n</div>\n")

	var notes map[int][]Note
	if h.o.Explain {
		notes = make(map[int][]Note)
		for _, n := range DiagramNotes(d) {
			notes[n.Frame] = append(notes[n.Frame], n)
		}
	}
	b.WriteString(`<div class="panel">` + "\n")
	b.WriteString(`<p class="empty">Choose an arrow to see the packet's header fields.</p>` + "\n")
	o := Options{Location: h.o.loc()}
	for i := range d.Rows {
		r := &d.Rows[i]
		if r.Kind != RowPacket {
			continue
		}
		p := &r.Arrow.Packet
		fmt.Fprintf(&b, `<div class="info" id="%s-info" hidden>`+"\n", ids.packet(p.N))
		b.WriteString(`<table class="hdr"><caption>` + html.EscapeString(packetTitle(p, &o)) + "</caption>\n")
		b.WriteString("<tr><th>Field</th><th>Bits</th><th>Value</th><th>Meaning</th></tr>\n")
		for _, row := range HeaderRows(p) {
			fmt.Fprintf(&b, `<tr><td>%s</td><td>%s</td><td class="v">%s</td><td>%s</td></tr>`+"\n",
				html.EscapeString(row[0]), html.EscapeString(row[1]), html.EscapeString(row[2]), html.EscapeString(row[3]))
		}
		b.WriteString("</table>\n")
		if ns := notes[p.N]; len(ns) > 0 {
			b.WriteString(`<ul class="notes">`)
			for _, n := range ns {
				b.WriteString("<li>" + html.EscapeString(n.Text) + "</li>")
			}
			b.WriteString("</ul>\n")
		}
		b.WriteString("</div>\n")
	}
	b.WriteString("</div>\n</section>\n")
	_, err := io.WriteString(h.w, b.String())
	return err
}

// Close writes the conversations still open and ends the page.
func (h *HTML) Close() error {
	if err := h.Collector.Close(); err != nil {
		return err
	}
	if !h.started {
		if err := h.start(); err != nil {
			return err
		}
		if _, err := io.WriteString(h.w, `<p class="empty">No TCP or UDP conversations.</p>`+"\n"); err != nil {
			return err
		}
	}
	_, err := io.WriteString(h.w, htmlScript+"</body>\n</html>\n")
	return err
}
