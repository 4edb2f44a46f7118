#!/usr/bin/env python3
"""Renders mle's HTML session reports in headless Chromium and checks what a reader would see.

Usage: html_report.py PATH/TO/mle OUTDIR SCRIPT.mle...   (run from the repository's top folder)

For each script: `mle --report OUTDIR/NAME.html SCRIPT` writes the page; Chromium loads it and
dumps the DOM it built (every statement, table and plot must be there as elements the browser
parsed: <section>, <table>, <svg> with drawn marks), then takes a screenshot of the page. The
PNG is decoded here (zlib and the PNG row filters, no imaging library) and must not be blank:
it must hold dark text pixels and pixels of the plot palette's colours, which only the SVG
plots draw (the page's own chrome is grey). Exits 1 on the first failure, saying why.
"""
import html.parser
import os
import struct
import subprocess
import sys
import zlib

# Plot colours (SVGFigure.palette and the histogram's fill): the page's text and chrome use
# none of them.
PALETTE = [(0x00, 0x72, 0xB2), (0xE6, 0x9F, 0x00), (0x00, 0x9E, 0x73), (0xD5, 0x5E, 0x00), (0x56, 0xB4, 0xE9)]


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        for folder in os.environ.get("PATH", "").split(os.pathsep):
            path = os.path.join(folder, name)
            if os.access(path, os.X_OK):
                return path
    sys.exit("html_report: Chromium is not installed (scripts/setup.sh installs it)")


def browser(args, url):
    base = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            "--no-first-run", "--disable-dev-shm-usage"]
    return subprocess.run(base + args + [url], capture_output=True, timeout=120)


class Elements(html.parser.HTMLParser):
    """Counts the elements of the DOM Chromium dumped."""

    def __init__(self):
        super().__init__()
        self.count = {}
        self.svg_marks = 0
        self.in_svg = 0

    def handle_starttag(self, tag, attrs):
        self.count[tag] = self.count.get(tag, 0) + 1
        if tag == "svg":
            self.in_svg += 1
        elif self.in_svg and tag in ("polyline", "rect", "circle"):
            self.svg_marks += 1

    def handle_endtag(self, tag):
        if tag == "svg":
            self.in_svg -= 1


def png_pixels(path):
    """(width, height, rows of RGB tuples) of an 8-bit RGB or RGBA PNG."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", chunk[:10])
            if depth != 8 or colour not in (2, 6):
                raise ValueError(f"PNG of depth {depth}, colour type {colour}")
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        if kind == 1:
            for i in range(channels, stride):
                line[i] = (line[i] + line[i - channels]) & 255
        elif kind == 2:
            for i in range(stride):
                line[i] = (line[i] + previous[i]) & 255
        elif kind == 3:
            for i in range(stride):
                left = line[i - channels] if i >= channels else 0
                line[i] = (line[i] + ((left + previous[i]) >> 1)) & 255
        elif kind == 4:
            for i in range(stride):
                a = line[i - channels] if i >= channels else 0
                b, c = previous[i], previous[i - channels] if i >= channels else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append([tuple(line[x * channels:x * channels + 3]) for x in range(width)])
        previous = line
    return width, height, rows


def check(mle, outdir, script):
    name = os.path.splitext(os.path.basename(script))[0]
    page = os.path.join(outdir, name + ".html")
    run = subprocess.run([mle, "--report", page, script], capture_output=True, text=True, timeout=600)
    if run.returncode != 0:
        return f"{script}: mle exited {run.returncode}: {run.stderr[-400:]}"
    statements = sum(1 for line in open(script) if line.strip() and not line.lstrip().startswith("#"))
    url = "file://" + os.path.abspath(page)
    dom = browser(["--dump-dom"], url)
    if dom.returncode != 0:
        return f"{name}: chromium --dump-dom failed: {dom.stderr.decode()[-400:]}"
    elements = Elements()
    elements.feed(dom.stdout.decode())
    sections, tables, svgs = (elements.count.get(t, 0) for t in ("section", "table", "svg"))
    if sections < statements * 0.8 or tables < 2 or svgs < 1 or elements.svg_marks < 2 * svgs:
        return (f"{name}: the browser's DOM has {sections} statements (script: {statements}), {tables} tables, "
                f"{svgs} plots with {elements.svg_marks} marks")
    shot = os.path.join(outdir, name + ".png")
    # A narrow, tall window at half scale: the whole page in one picture small enough to decode.
    browser([f"--screenshot={shot}", "--window-size=1000,9000", "--force-device-scale-factor=0.5"], url)
    if not os.path.exists(shot):
        return f"{name}: chromium took no screenshot"
    width, height, rows = png_pixels(shot)
    dark = coloured = 0
    for row in rows:
        for (r, g, b) in row:
            if r < 120 and g < 120 and b < 120:
                dark += 1
            elif any(abs(r - pr) < 40 and abs(g - pg) < 40 and abs(b - pb) < 40 for pr, pg, pb in PALETTE):
                coloured += 1
    sampled = height * width
    if dark < sampled * 0.001 or coloured < 200:
        return f"{name}: the screenshot looks blank ({dark} text pixels, {coloured} plot pixels of {sampled} sampled)"
    print(f"ok {name}: {sections} statements, {tables} tables, {svgs} plots; screenshot {width}×{height} "
          f"with {dark} text and {coloured} plot pixels of {sampled}")
    return None


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    mle, outdir, scripts = sys.argv[1], sys.argv[2], sys.argv[3:]
    os.makedirs(outdir, exist_ok=True)
    for script in scripts:
        problem = check(mle, outdir, script)
        if problem:
            print("FAIL:", problem)
            sys.exit(1)


if __name__ == "__main__":
    main()
