// The conformance report's viewer: everything is drawn from the embedded JSON (#report-data),
// and only what is visible is in the DOM (the matrix and the verdict list are virtual lists),
// so a run of 10,000 results opens as fast as one of ten.
"use strict";
(function () {
  const D = JSON.parse(document.getElementById("report-data").textContent);
  const GR = D.grades, AX = D.axes, RANK = {};
  GR.forEach((g, i) => { RANK[g] = i; });
  const V = D.verdicts.map((a, i) => ({
    i: i, op: a[0], check: a[1], axis: a[2], grade: a[3], codes: a[4], notes: a[5],
    message: a[6], results: a[7],
  }));
  const $ = (id) => document.getElementById(id);
  const ESC = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ESC[c]);
  const badge = (g) => `<span class="g g-${g}">${esc(g)}</span>`;
  const state = { grades: new Set(GR), axis: "", code: "", op: "" };
  let shown = V, selected = -1;

  // -- a virtual list: rows of a fixed height, only those in view are drawn -------------------
  function VList(el, rowHeight, draw) {
    el.innerHTML = '<div class="vspacer"></div>';
    const spacer = el.firstChild;
    let count = 0, queued = false;
    function paint() {
      queued = false;
      const top = el.scrollTop, height = el.clientHeight || 600;
      const first = Math.max(0, Math.floor(top / rowHeight) - 8);
      const last = Math.min(count, Math.ceil((top + height) / rowHeight) + 8);
      let html = "";
      for (let k = first; k < last; k++) html += draw(k, k * rowHeight);
      spacer.innerHTML = html;
    }
    el.addEventListener("scroll", () => {
      if (!queued) { queued = true; requestAnimationFrame(paint); }
    }, { passive: true });
    return {
      set(n) { count = n; spacer.style.height = n * rowHeight + "px"; el.scrollTop = 0; paint(); },
      paint: paint,
    };
  }

  // -- head: facts, counts, score -------------------------------------------------------------
  function facts() {
    const f = D.facts, parts = [];
    if (f.spec) parts.push("spec " + esc(f.spec));
    if (f.seed !== undefined && f.seed !== null) parts.push("seed " + esc(f.seed));
    parts.push(`${D.results_count.toLocaleString("en")} exchanges`);
    parts.push(`${V.length.toLocaleString("en")} verdicts`);
    if (f.tool) parts.push(esc(f.tool));
    if (D.derived) parts.push("verdicts derived from the exchanges' violations");
    $("facts").innerHTML = parts.join(" · ");
  }

  function summary() {
    const c = D.counts;
    let html = `<p><span class="score" id="score">${D.score === null ? "n/a" : D.score + "%"}</span>`;
    html += `<span class="muted">score: verdicts that hold (pass, warn, unsupported) of those judged</span></p>`;
    html += "<table id=\"counts\"><tr><th>axis</th>" + GR.map((g) => `<th>${badge(g)}</th>`).join("") + "</tr>";
    for (const axis of AX.concat(["all"])) {
      html += `<tr><td>${axis === "all" ? "<b>all</b>" : esc(axis)}</td>`;
      for (const g of GR) {
        const n = c[axis][g];
        html += `<td class="n${n ? "" : " zero"}" data-axis="${axis === "all" ? "" : axis}" data-grade="${g}">${n}</td>`;
      }
      html += "</tr>";
    }
    $("summary").innerHTML = html + "</table>";
    $("summary").addEventListener("click", (e) => {
      const td = e.target.closest("td.n");
      if (!td) return;
      state.grades = new Set([td.dataset.grade]);
      state.axis = td.dataset.axis;
      state.op = ""; state.code = "";
      sync(); apply();
    });
  }

  function capabilities() {
    const rows = {};
    for (const v of V) {
      if (v.axis !== "capability") continue;
      const r = rows[v.check] || (rows[v.check] = {});
      r[v.grade] = (r[v.grade] || 0) + 1;
    }
    const names = Object.keys(rows).sort();
    if (!names.length) return;
    let html = "<h2>Capability profile</h2><table><tr><th>check</th>" + GR.map((g) => `<th>${esc(g)}</th>`).join("") + "</tr>";
    for (const name of names) {
      html += `<tr><td>${esc(name)}</td>` + GR.map((g) => `<td class="${rows[name][g] ? "" : "zero"}">${rows[name][g] || 0}</td>`).join("") + "</tr>";
    }
    $("capabilities").innerHTML = html + "</table>";
    $("capabilities").hidden = false;
  }

  // -- the operation x axis matrix ------------------------------------------------------------
  function matrix() {
    $("mhead-axes").innerHTML = AX.map((a) => `<span>${esc(a)}</span>`).join("");
    const rows = D.matrix;
    const list = VList($("matrix"), 24, (k, top) => {
      const [op, cells] = rows[k];
      let html = `<div class="row mrow" style="top:${top}px" title="${esc(op)}"><span class="op">${esc(op)}</span>`;
      for (const a of AX) {
        const g = cells[a];
        html += g ? `<span class="g g-${g}" data-op="${esc(op)}" data-axis="${a}">${g}</span>` : '<span class="g g-none">·</span>';
      }
      return html + "</div>";
    });
    $("matrix").addEventListener("click", (e) => {
      const cell = e.target.closest("[data-op]");
      if (!cell) return;
      state.op = cell.dataset.op; state.axis = cell.dataset.axis;
      state.grades = new Set(GR); state.code = "";
      sync(); apply();
    });
    $("matrix").style.height = Math.min(rows.length * 24 + 4, Math.round(window.innerHeight * 0.3)) + "px";
    list.set(rows.length);
  }

  // -- filters and the verdict list -----------------------------------------------------------
  const listView = VList($("list"), 26, (k, top) => {
    const v = shown[k];
    const codes = v.codes.length ? v.codes.join(", ") : v.check;
    return `<div class="row${v.i === selected ? " sel" : ""}" role="listitem" data-k="${k}" style="top:${top}px">` +
      `${badge(v.grade)} <span class="op">${esc(v.op)}</span> <span>${esc(codes)}</span> ` +
      `<span class="muted">[${esc(v.axis)}]</span> <span class="msg">${esc(v.message || v.notes[0] || "")}</span></div>`;
  });

  function filters() {
    $("grades").innerHTML = GR.map((g) => `<button type="button" class="b-${g}" data-grade="${g}" aria-pressed="true">${g} ${D.counts.all[g]}</button>`).join("");
    $("f-axis").innerHTML += AX.map((a) => `<option>${esc(a)}</option>`).join("");
    const codes = new Set();
    for (const v of V) { if (v.codes.length) v.codes.forEach((c) => codes.add(c)); else codes.add(v.check); }
    $("f-code").innerHTML += Array.from(codes).sort().map((c) => `<option>${esc(c)}</option>`).join("");
    $("ops").innerHTML = D.matrix.map((r) => `<option value="${esc(r[0])}">`).join("");
    $("grades").addEventListener("click", (e) => {
      const b = e.target.closest("button");
      if (!b) return;
      const g = b.dataset.grade;
      if (state.grades.has(g)) state.grades.delete(g); else state.grades.add(g);
      sync(); apply();
    });
    $("f-axis").addEventListener("change", (e) => { state.axis = e.target.value; apply(); });
    $("f-code").addEventListener("change", (e) => { state.code = e.target.value; apply(); });
    $("f-op").addEventListener("input", (e) => { state.op = e.target.value.trim(); apply(); });
    $("f-reset").addEventListener("click", () => {
      state.grades = new Set(GR); state.axis = ""; state.code = ""; state.op = "";
      sync(); apply();
    });
    $("list").addEventListener("click", (e) => {
      const row = e.target.closest(".row");
      if (row) select(shown[+row.dataset.k], 0);
    });
  }

  function sync() {
    for (const b of $("grades").children) b.setAttribute("aria-pressed", String(state.grades.has(b.dataset.grade)));
    $("f-axis").value = state.axis; $("f-code").value = state.code; $("f-op").value = state.op;
  }

  function apply() {
    const op = state.op, exact = D.matrix.some((r) => r[0] === op), low = op.toLowerCase();
    shown = V.filter((v) => state.grades.has(v.grade) &&
      (!state.axis || v.axis === state.axis) &&
      (!state.code || v.check === state.code || v.codes.includes(state.code)) &&
      (!op || (exact ? v.op === op : v.op.toLowerCase().includes(low))));
    $("shown").textContent = `${shown.length.toLocaleString("en")} of ${V.length.toLocaleString("en")} shown, worst first`;
    listView.set(shown.length);
  }

  // -- the detail: the verdict, its exchange, the violating parts highlighted ------------------
  function unescapeToken(t) { return t.replace(/~1/g, "/").replace(/~0/g, "~"); }

  // the deepest part of ``value`` that ``pointer`` reaches (a missing property: its object)
  function reach(value, pointer) {
    if (!pointer || pointer === "/") return "";
    let at = value, out = "";
    for (const raw of pointer.split("/").slice(1)) {
      const t = unescapeToken(raw);
      if (at === null || typeof at !== "object" || !(t in at)) break;
      at = at[t];
      out += "/" + raw;
    }
    return out;
  }

  function pretty(v, p, marks, ind) {
    let out;
    if (v === null || typeof v !== "object") {
      out = `<span class="j-${v === null ? "n" : typeof v}">${esc(JSON.stringify(v))}</span>`;
    } else if (Array.isArray(v)) {
      const pad = ind + "  ";
      out = v.length ? "[\n" + v.map((x, i) => pad + pretty(x, p + "/" + i, marks, pad)).join(",\n") + "\n" + ind + "]" : "[]";
    } else {
      const keys = Object.keys(v), pad = ind + "  ";
      out = keys.length ? "{\n" + keys.map((k) => pad + `<span class="j-k">${esc(JSON.stringify(k))}</span>: ` +
        pretty(v[k], p + "/" + k.replace(/~/g, "~0").replace(/\//g, "~1"), marks, pad)).join(",\n") + "\n" + ind + "}" : "{}";
    }
    return marks.has(p) ? `<mark class="hit" data-pointer="${esc(p || "/")}">${out}</mark>` : out;
  }

  // a body: pretty JSON with the pointers marked, or its text (the exact text is under "raw")
  function body(text, pointers) {
    if (text === null || text === undefined) return '<p class="muted">(not recorded)</p>';
    if (text === "") return '<p class="muted">(empty)</p>';
    let value, parsed = false;
    if (text.length < 2000000) { try { value = JSON.parse(text); parsed = true; } catch (err) { parsed = false; } }
    if (!parsed) return pointers.length ? `<pre><mark class="hit">${esc(text)}</mark></pre>` : `<pre>${esc(text)}</pre>`;
    const marks = new Set(pointers.map((p) => reach(value, p)));
    return `<pre>${pretty(value, "", marks, "")}</pre><details><summary>raw</summary><pre>${esc(text)}</pre></details>`;
  }

  function headers(h, marked) {
    const names = Object.keys(h || {});
    if (!names.length) return "";
    return '<table class="kv">' + names.map((n) => {
      const row = `<td>${esc(n)}</td><td>${esc(h[n])}</td>`;
      return marked.has(n.toLowerCase()) ? `<tr><td colspan="2"><mark class="hit">${esc(n)}: ${esc(h[n])}</mark></td></tr>` : `<tr>${row}</tr>`;
    }).join("") + "</table>";
  }

  function violationsFor(v, r) {
    const codes = new Set(v.codes);
    const all = r.vi.map((a) => ({ code: a[0], where: a[1], pointer: a[2], schema: a[3], message: a[4], severity: a[5], event: a[6] }));
    const mine = all.filter((x) => !codes.size || codes.has(x.code));
    return mine.sort((a, b) => (a.severity === "error" ? 0 : 1) - (b.severity === "error" ? 0 : 1));
  }

  function exchange(v, r, which) {
    const vs = violationsFor(v, r);
    const at = (prefix) => vs.filter((x) => x.where === prefix);
    const named = (where) => new Set(at(where).map((x) => unescapeToken((x.pointer || "").replace(/^\//, "")).toLowerCase()));
    let html = "";
    if (v.results.length > 1) {
      html += `<p class="nav">exchange ${which + 1} of ${v.results.length} <button type="button" data-go="${which - 1}"${which ? "" : " disabled"}>previous</button><button type="button" data-go="${which + 1}"${which + 1 < v.results.length ? "" : " disabled"}>next</button></p>`;
    }
    if (vs.length) {
      html += '<h3>Violations</h3><table class="viol"><tr><th>code</th><th>where</th><th>pointer</th><th>schema location</th><th>message</th></tr>';
      vs.forEach((x, k) => {
        const where = x.event === null || x.event === undefined ? x.where : `${x.where}[${x.event}]`;
        html += `<tr data-v="${k}"><td><code>${esc(x.code)}</code>${x.severity === "error" ? "" : ' <span class="muted">(warning)</span>'}<br><span class="muted">${esc(D.codes[x.code] || "")}</span></td>` +
          `<td>${esc(where)}</td><td><code>${esc(x.pointer || "/")}</code></td><td><code>${esc(x.schema || "")}</code></td><td>${esc(x.message)}</td></tr>`;
      });
      html += "</table>";
    }
    if (r.sk) html += `<p>skipped: ${esc(r.sk)}</p>`;
    if (r.no && r.no.length) html += "<ul>" + r.no.map((n) => `<li>${esc(n)}</li>`).join("") + "</ul>";
    if (r.rq) {
      const url = `<code>${esc(r.rq.url)}</code>`;
      html += `<h3>Request</h3><p><code>${esc(r.rq.m)}</code> ${at("request.path").length ? `<mark class="hit">${url}</mark>` : url}</p>`;
      const hmarks = named("request.header");
      if (at("request.content-type").length) hmarks.add("content-type");
      html += headers(r.rq.h, hmarks);
      const q = at("request.query").map((x) => x.pointer);
      if (q.length) html += `<p>query parameters: ${q.map((p) => `<mark class="hit">${esc(unescapeToken(p.replace(/^\//, "")))}</mark>`).join(", ")}</p>`;
      html += r.rq.note ? `<p class="muted">${esc(r.rq.note)}</p>` : body(r.rq.b, at("request.body").map((x) => x.pointer));
    }
    if (r.rs) {
      const st = at("response.status").length ? `<mark class="hit">${r.rs.st}</mark>` : String(r.rs.st);
      html += `<h3>Response</h3><p>status ${st}${r.ms ? ` · ${r.ms} ms` : ""}${r.rs.stream ? " · event stream" : ""}</p>`;
      const hmarks = named("response.header");
      if (at("response.content-type").length) hmarks.add("content-type");
      html += headers(r.rs.h, hmarks);
      if (r.rs.ev) {
        const framing = at("stream").length;
        html += framing ? '<p><mark class="hit">the stream as a whole (framing, its end)</mark></p>' : "";
        r.rs.ev.forEach((e, i) => {
          const ps = vs.filter((x) => x.where === "stream.event" && x.event === i).map((x) => x.pointer);
          html += `<div class="event${ps.length ? " hit-event" : ""}"><span class="muted">event ${i}${e[0] ? ": " + esc(e[0]) : ""}</span>${body(e[1], ps)}</div>`;
        });
        if (r.rs.note) html += `<p class="muted">${esc(r.rs.note)}</p>`;
      } else {
        html += r.rs.note ? `<p class="muted">${esc(r.rs.note)}</p>` : body(r.rs.b, at("response.body").map((x) => x.pointer));
      }
    } else if (r.rq) {
      html += '<h3>Response</h3><p class="muted">no answer</p>';
    }
    if (r.curl) html += `<h3>Reproduce <button type="button" id="copy">copy</button></h3><pre class="curl" id="curl">${esc(r.curl)}</pre>`;
    if (r.rp) html += `<p class="muted">replay: ${esc(JSON.stringify(r.rp))}</p>`;
    return html;
  }

  function select(v, which) {
    selected = v.i;
    listView.paint();
    const idx = v.results[which];
    const r = idx === undefined ? null : D.results[idx];
    let html = `<h2>${badge(v.grade)} ${esc(v.op)}</h2><p><b>${esc(v.check)}</b> <span class="muted">[${esc(v.axis)}]</span></p>`;
    for (const c of v.codes) html += `<p><code>${esc(c)}</code> — ${esc(D.codes[c] || "")}</p>`;
    if (v.message) html += `<blockquote>${esc(v.message)}</blockquote>`;
    if (v.notes.length) html += "<ul>" + v.notes.map((n) => `<li>${esc(n)}</li>`).join("") + "</ul>";
    html += r ? exchange(v, r, which) : '<p class="muted">no exchange recorded for this verdict</p>';
    const pane = $("detail");
    pane.innerHTML = html;
    pane.scrollTop = 0;
    pane.querySelectorAll("[data-go]").forEach((b) => b.addEventListener("click", () => select(v, +b.dataset.go)));
    pane.querySelectorAll("tr[data-v]").forEach((tr) => tr.addEventListener("click", () => {
      reveal(pane, pane.querySelectorAll("mark.hit")[+tr.dataset.v] || pane.querySelector("mark.hit"));
    }));
    const copy = $("copy");
    if (copy) copy.addEventListener("click", () => {
      const text = $("curl").textContent;
      if (navigator.clipboard) navigator.clipboard.writeText(text).catch(() => {});
      const range = document.createRange(); range.selectNodeContents($("curl"));
      const sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(range);
    });
    reveal(pane, pane.querySelector("mark.hit"));
  }

  // scroll the pane (not the page) so that ``mark`` is in view, a third of the way down
  function reveal(pane, mark) {
    if (!mark) return;
    const box = mark.closest("pre");
    if (box && box !== mark) box.scrollTop += mark.getBoundingClientRect().top - box.getBoundingClientRect().top - box.clientHeight / 3;
    pane.scrollTop += mark.getBoundingClientRect().top - pane.getBoundingClientRect().top - pane.clientHeight / 3;
  }

  facts(); summary(); capabilities(); matrix(); filters(); apply();
  if (shown.length && shown[0].grade !== "pass") select(shown[0], 0);
  window.conformanceReport = { state: state, shown: () => shown, select: (k) => select(shown[k], 0) };
  document.documentElement.dataset.ready = String(performance.now());
})();
