// Measures the page for tests/browser/sizes.py: tap targets, their spacing, text sizes, line
// heights and the balance. Returns the offenders only, each with a selector and what was
// measured; sizes are CSS px as the layout gives them at the current viewport.
(limits) => {
  const TARGETS =
    'a[href], button, input:not([type="hidden"]), select, textarea, summary, [role="button"]';
  const TEXT_CONTROLS =
    'input:not([type="hidden"]):not([type="checkbox"]):not([type="radio"]):not([type="range"])' +
    ':not([type="color"]):not([type="image"]), select, textarea';
  const SKIP_TEXT = "script, style, noscript, template, option, optgroup, svg, [hidden]";
  const EPSILON = 0.01;

  const selector = (el) => {
    const parts = [];
    for (let node = el; node && node.nodeType === 1 && parts.length < 4; node = node.parentElement) {
      let part = node.tagName.toLowerCase();
      if (node.id) {
        parts.unshift(`${part}#${node.id}`);
        break;
      }
      const classes = [...node.classList].slice(0, 2);
      if (classes.length) part += "." + classes.join(".");
      const parent = node.parentElement;
      if (parent) {
        const same = [...parent.children].filter((c) => c.tagName === node.tagName);
        if (same.length > 1) part += `:nth-of-type(${same.indexOf(node) + 1})`;
      }
      parts.unshift(part);
      if (node.tagName === "BODY") break;
    }
    return parts.join(" > ");
  };
  const words = (el) =>
    (el.innerText || el.value || el.getAttribute("aria-label") || el.getAttribute("name") || "")
      .trim()
      .replace(/\s+/g, " ")
      .slice(0, 30);
  // Shown to the eye: rendered, not visibility:hidden, not transparent, more than the 1-px box
  // of text kept for screen readers only, and not pushed off the page's top or left edge
  // (where no scrolling reaches: a skip link waiting for the focus).
  const shown = (el) => {
    if (!el.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true })) return false;
    const box = el.getBoundingClientRect();
    const offPage = box.right + window.scrollX <= 0 || box.bottom + window.scrollY <= 0;
    return box.width >= 2 && box.height >= 2 && !offPage;
  };
  // A checkbox or radio button is tapped through its label: the label's box is the target.
  const targetBox = (el) => {
    const box = el.getBoundingClientRect();
    if (el.type === "checkbox" || el.type === "radio") {
      for (const label of el.labels || []) {
        const lb = label.getBoundingClientRect();
        if (shown(label) && lb.width * lb.height > box.width * box.height) return lb;
      }
    }
    return box;
  };
  const round = (n) => Math.round(n * 10) / 10;
  const out = { targets: [], spacing: [], text: [], balance: [] };

  const targets = [...document.querySelectorAll(TARGETS)].filter(shown);
  const boxes = targets.map(targetBox);
  targets.forEach((el, i) => {
    const b = boxes[i];
    if (b.width + EPSILON < limits.target || b.height + EPSILON < limits.target) {
      out.targets.push({ selector: selector(el), words: words(el), width: round(b.width), height: round(b.height) });
    }
  });
  for (let i = 0; i < targets.length; i++) {
    for (let j = i + 1; j < targets.length; j++) {
      const [a, b] = [targets[i], targets[j]];
      if (a.contains(b) || b.contains(a)) continue;
      const [p, q] = [boxes[i], boxes[j]];
      const dx = Math.max(0, Math.max(p.left, q.left) - Math.min(p.right, q.right));
      const dy = Math.max(0, Math.max(p.top, q.top) - Math.min(p.bottom, q.bottom));
      const gap = Math.hypot(dx, dy);
      if (gap + EPSILON < limits.gap) {
        out.spacing.push({ selector: selector(a), other: selector(b), gap: round(gap) });
      }
    }
  }

  const seen = new Set();
  const checkText = (el, lineHeight) => {
    if (seen.has(el)) return;
    seen.add(el);
    const style = getComputedStyle(el);
    const size = parseFloat(style.fontSize);
    const found = { selector: selector(el), words: words(el), size: round(size) };
    if (size + EPSILON < limits.text) out.text.push({ ...found, problem: "font-size" });
    if (!lineHeight) return;
    if (style.lineHeight === "normal") {
      out.text.push({ ...found, problem: "line-height", lineHeight: "normal" });
    } else if (parseFloat(style.lineHeight) / size + 0.005 < limits.lineHeight) {
      out.text.push({ ...found, problem: "line-height", lineHeight: round(parseFloat(style.lineHeight) / size) });
    }
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || !node.textContent.trim() || el.closest(SKIP_TEXT) || !shown(el)) continue;
    checkText(el, true);
  }
  for (const el of document.querySelectorAll(TEXT_CONTROLS)) {
    if (shown(el)) checkText(el, false);
  }

  const balances = [...document.querySelectorAll('[data-role="balance"]')].filter(shown);
  for (const el of balances) {
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size + EPSILON < limits.balance) {
      out.balance.push({ selector: selector(el), words: words(el), size: round(size) });
    }
  }
  if (limits.expectBalance && balances.length === 0) {
    out.balance.push({ selector: '[data-role="balance"]', words: "", size: 0, missing: true });
  }
  return out;
}
