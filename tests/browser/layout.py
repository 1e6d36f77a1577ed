"""What the layout tests measure in the page (tests/browser/test_board_layout.py,
test_dashboard_drilldown.py)."""

# Every visible element ends within the window, unless it sits in a container that scrolls
# sideways on its own (a table's wrapper, the board's stages); and the page itself does not scroll sideways.
OVERFLOW = """() => {
  const width = window.innerWidth;
  const scrollsInside = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const x = getComputedStyle(p).overflowX;
      if (x === "auto" || x === "scroll") return true;
    }
    return false;
  };
  const wide = [];
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (!box.width || !box.height || !el.checkVisibility({visibilityProperty: true})) continue;
    if (box.right > width + 1 && !scrollsInside(el)) {
      wide.push(`${el.tagName.toLowerCase()}.${el.className} ${Math.round(box.right)}`);
    }
  }
  return {wide: wide.slice(0, 8), scrollWidth: document.documentElement.scrollWidth, width};
}"""
