// The lab page of linreg (src/linreg/viz/lab_page.py writes the numbers this reads).
// Plain JavaScript, no library, no network. Every number comes from the embedded JSON:
// the loss and the full-batch descent follow exactly from its moments (see the Python
// module's docstring for the formulas); mini-batch paths are stored as computed there.
"use strict";

(function () {
  const errors = document.getElementById("errors");
  window.addEventListener("error", (event) => {
    errors.hidden = false;
    errors.textContent += "error: " + event.message + "\n";
  });

  const DATA = JSON.parse(document.getElementById("lab-data").textContent);
  // kappa is null where lambda_min is lost to rounding: an infinitely long valley.
  for (const v of Object.values(DATA.views)) if (v.kappa === null) v.kappa = Infinity;
  const TINY = 2.2250738585072014e-308;
  const $ = (id) => document.getElementById(id);
  // Math.min(...xs) overflows the call stack for long arrays (100,000 epochs): loop instead.
  const least = (xs) => xs.reduce((a, t) => (t < a ? t : a), Infinity);
  const most = (xs) => xs.reduce((a, t) => (t > a ? t : a), -Infinity);
  const state = { view: "raw", W: 0, b: 0, rate: 0, batch: "full", epoch: 0, playing: null };

  // -- numbers ---------------------------------------------------------------------------
  function view() { return DATA.views[state.view]; }

  // L(W, b) = L* + sxx u^2 + e^2, u = W - W*, e = u xbar + (b - b*).
  function loss(v, W, b) {
    const u = W - v.optimum.W;
    const e = u * v.moments.xbar + (b - v.optimum.b);
    return v.optimum.loss + v.moments.sxx * u * u + e * e;
  }

  // dL/dW = 2 (sxx u + e xbar), dL/db = 2 e.
  function gradient(v, W, b) {
    const u = W - v.optimum.W;
    const e = u * v.moments.xbar + (b - v.optimum.b);
    return [2 * (v.moments.sxx * u + e * v.moments.xbar), 2 * e];
  }

  // Full-batch gradient descent from the start, as linreg.training.train runs it:
  // epoch k's loss is checked (not finite, or above EXPLOSION_FACTOR times the
  // first loss: diverged at epoch k), recorded, then one step is taken.
  function descent(v, rate, epochs) {
    let W = v.start.W, b = v.start.b;
    const Ws = [], bs = [], Ls = [];
    let limit = Infinity, diverged = null;
    for (let k = 0; k <= epochs; k++) {
      const L = loss(v, W, b);
      if (!Number.isFinite(L) || L > limit) { diverged = k; break; }
      if (k === 0) limit = DATA.explosion_factor * Math.max(L, TINY);
      Ws.push(W); bs.push(b); Ls.push(L);
      if (k === epochs) break;
      const g = gradient(v, W, b);
      W = W - rate * g[0];
      b = b - rate * g[1];
    }
    return { W: Ws, b: bs, loss: Ls, diverged: diverged, epochs: epochs, steps: null };
  }

  // A precomputed mini-batch path (batch "mini" or "one") at the chosen rate.
  function batchPath(v, which, index) {
    const set = v.batches[which];
    const run = set.runs[index];
    const W = run.mark_W, b = run.mark_b;
    return {
      W: W, b: b, loss: W.map((w, k) => loss(v, w, b[k])),
      diverged: run.diverged_at_epoch, divergedStep: run.diverged_at_step,
      epochs: set.marks, perEpoch: set.steps_per_epoch, markSteps: set.mark_steps, batchSize: set.batch_size,
      steps: set.path_steps.slice(0, run.path_W.length), pathW: run.path_W, pathB: run.path_b,
    };
  }

  let path = null;
  // A batch path of a long epoch is marked every few steps within it, not at epochs' ends.
  function partial() { return path.markSteps !== undefined && path.markSteps !== path.perEpoch; }
  function computePath() {
    const v = view();
    path = state.batch === "full"
      ? descent(v, v.rates[state.rate], DATA.epochs)
      : batchPath(v, state.batch, state.rate);
  }

  // -- formatting ------------------------------------------------------------------------
  function fmt(x) {
    if (x === Infinity) return "∞";
    if (!Number.isFinite(x)) return String(x);
    if (x === 0) return "0";
    const a = Math.abs(x);
    return a >= 1e-3 && a < 1e6 ? Number(x.toPrecision(6)).toString() : x.toExponential(4);
  }
  function put(id, value) {
    const el = $(id);
    el.textContent = fmt(value);
    el.dataset.value = String(value);
  }

  // -- canvas helpers --------------------------------------------------------------------
  const PAD = { left: 58, right: 12, top: 12, bottom: 40 };
  function frame(canvas, xr, yr, logx, logy) {
    const w = canvas.width, h = canvas.height;
    const fx = logx ? Math.log10 : (t) => t, fy = logy ? Math.log10 : (t) => t;
    const x0 = fx(xr[0]), x1 = fx(xr[1]), y0 = fy(yr[0]), y1 = fy(yr[1]);
    return {
      w: w, h: h, xr: xr, yr: yr, logx: logx, logy: logy,
      X: (t) => PAD.left + (fx(t) - x0) / (x1 - x0) * (w - PAD.left - PAD.right),
      Y: (t) => h - PAD.bottom - (fy(t) - y0) / (y1 - y0) * (h - PAD.top - PAD.bottom),
      invX: (px) => { const t = x0 + (px - PAD.left) / (w - PAD.left - PAD.right) * (x1 - x0); return logx ? 10 ** t : t; },
      invY: (py) => { const t = y0 + (h - PAD.bottom - py) / (h - PAD.top - PAD.bottom) * (y1 - y0); return logy ? 10 ** t : t; },
    };
  }
  function ticks(lo, hi, log) {
    if (log) {
      const out = [];
      for (let e = Math.ceil(Math.log10(lo)); e <= Math.floor(Math.log10(hi)); e++) out.push(10 ** e);
      return out.length >= 2 ? out : [lo, hi];
    }
    const span = hi - lo, raw = span / 5, mag = 10 ** Math.floor(Math.log10(raw));
    const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => span / s <= 6);
    const out = [];
    for (let t = Math.ceil(lo / step) * step; t <= hi + 1e-9 * step; t += step) out.push(Math.abs(t) < step * 1e-9 ? 0 : t);
    return out;
  }
  function axes(ctx, f, xlabel, ylabel) {
    ctx.save();
    ctx.strokeStyle = "#999"; ctx.fillStyle = "#444"; ctx.font = "12px system-ui, sans-serif";
    ctx.strokeRect(PAD.left, PAD.top, f.w - PAD.left - PAD.right, f.h - PAD.top - PAD.bottom);
    ctx.textAlign = "center"; ctx.textBaseline = "top";
    // An epoch axis ("plus1") is drawn at epoch + 1: ticks at epochs 0, 1, 10, 100, ...
    const xt = f.logx === "plus1"
      ? [0].concat(ticks(1, f.xr[1] - 1, true).filter((t) => t <= f.xr[1] - 1)).map((t) => [t + 1, t])
      : ticks(f.xr[0], f.xr[1], f.logx).map((t) => [t, t]);
    for (const [t, label] of xt) {
      const x = f.X(t);
      ctx.beginPath(); ctx.moveTo(x, f.h - PAD.bottom); ctx.lineTo(x, f.h - PAD.bottom + 4); ctx.stroke();
      ctx.fillText(fmt(label), x, f.h - PAD.bottom + 6);
    }
    ctx.fillText(xlabel, (PAD.left + f.w - PAD.right) / 2, f.h - 16);
    ctx.textAlign = "right"; ctx.textBaseline = "middle";
    for (const t of ticks(f.yr[0], f.yr[1], f.logy)) {
      const y = f.Y(t);
      ctx.beginPath(); ctx.moveTo(PAD.left - 4, y); ctx.lineTo(PAD.left, y); ctx.stroke();
      ctx.fillText(f.logy ? Number(t).toExponential(0) : fmt(t), PAD.left - 6, y);
    }
    ctx.translate(12, (PAD.top + f.h - PAD.bottom) / 2); ctx.rotate(-Math.PI / 2);
    ctx.textAlign = "center"; ctx.fillText(ylabel, 0, 0);
    ctx.restore();
  }
  function clip(ctx, f) {
    ctx.beginPath();
    ctx.rect(PAD.left, PAD.top, f.w - PAD.left - PAD.right, f.h - PAD.top - PAD.bottom);
    ctx.clip();
  }
  function polyline(ctx, xs, ys) {
    ctx.beginPath();
    for (let i = 0; i < xs.length; i++) {
      const x = Math.max(-1e5, Math.min(1e5, xs[i])), y = Math.max(-1e5, Math.min(1e5, ys[i]));
      if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
    }
    ctx.stroke();
  }

  // -- the data and the line -------------------------------------------------------------
  function shownX() {
    const xs = DATA.points.x;
    if (state.view === "raw") return xs;
    const m = DATA.standardize.mean, s = DATA.standardize.std;
    return xs.map((x) => (x - m) / s);
  }
  function drawData() {
    const canvas = $("plot-data"), ctx = canvas.getContext("2d");
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    const xs = shownX(), ys = DATA.points.y;
    let xlo = least(xs), xhi = most(xs), ylo = least(ys), yhi = most(ys);
    const mx = 0.05 * (xhi - xlo), my = 0.08 * (yhi - ylo || 1);
    xlo -= mx; xhi += mx; ylo -= my; yhi += my;
    const f = frame(canvas, [xlo, xhi], [ylo, yhi], false, false);
    axes(ctx, f, view().name, DATA.target);
    ctx.save(); clip(ctx, f);
    // Fainter squares for more rows, so that overlapping squares stay readable.
    const alpha = Math.max(0.02, Math.min(0.15, 6 / xs.length));
    ctx.fillStyle = `rgba(213, 94, 0, ${alpha})`; ctx.strokeStyle = "rgba(213, 94, 0, 0.35)";
    for (let i = 0; i < xs.length; i++) {
      const px = f.X(xs[i]), py = f.Y(ys[i]), pf = f.Y(state.W * xs[i] + state.b);
      const side = Math.min(Math.abs(pf - py), 4 * canvas.height);
      const top = Math.min(py, pf);
      ctx.fillRect(px, top, side, side);
      if (xs.length <= 60) ctx.strokeRect(px, top, side, side);
    }
    ctx.fillStyle = "#333";
    for (let i = 0; i < xs.length; i++) {
      ctx.beginPath(); ctx.arc(f.X(xs[i]), f.Y(ys[i]), 2.2, 0, 2 * Math.PI); ctx.fill();
    }
    ctx.strokeStyle = "#0072b2"; ctx.lineWidth = 2.5;
    polyline(ctx, [f.X(xlo), f.X(xhi)], [f.Y(state.W * xlo + state.b), f.Y(state.W * xhi + state.b)]);
    ctx.restore();
  }

  // -- the loss landscape ----------------------------------------------------------------
  const VIRIDIS = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
  function colour(t) {
    const s = Math.max(0, Math.min(1, t)) * (VIRIDIS.length - 1), i = Math.min(Math.floor(s), VIRIDIS.length - 2), a = s - i;
    return VIRIDIS[i].map((c, k) => Math.round(c + a * (VIRIDIS[i + 1][k] - c)));
  }
  const landCache = {};
  let landFrame = null;
  function landscapeImage(ctx, f, v) {
    if (landCache[state.view]) return landCache[state.view];
    const x0 = PAD.left, y0 = PAD.top, w = f.w - PAD.left - PAD.right, h = f.h - PAD.top - PAD.bottom;
    const img = ctx.createImageData(w, h);
    const level = new Float64Array(w * h);
    let lo = Infinity, hi = -Infinity;
    for (let j = 0; j < h; j++) {
      const b = f.invY(y0 + j + 0.5);
      for (let i = 0; i < w; i++) {
        const W = f.invX(x0 + i + 0.5);
        const excess = loss(v, W, b) - v.optimum.loss;
        const t = Math.log(Math.max(excess, TINY)) / Math.log(4);
        level[j * w + i] = t;
        if (excess > 0) { lo = Math.min(lo, t); hi = Math.max(hi, t); }
      }
    }
    lo = Math.max(lo, hi - 12);
    for (let j = 0; j < h; j++) {
      for (let i = 0; i < w; i++) {
        const k = j * w + i, t = level[k], c = colour((t - lo) / (hi - lo || 1));
        const band = Math.floor(t);
        const edge = (i + 1 < w && Math.floor(level[k + 1]) !== band) || (j + 1 < h && Math.floor(level[k + w]) !== band);
        const p = 4 * k;
        img.data[p] = edge ? 255 : c[0]; img.data[p + 1] = edge ? 255 : c[1]; img.data[p + 2] = edge ? 255 : c[2];
        img.data[p + 3] = edge ? 200 : 255;
      }
    }
    landCache[state.view] = img;
    return img;
  }
  function star(ctx, x, y, r) {
    ctx.beginPath();
    for (let k = 0; k < 10; k++) {
      const a = -Math.PI / 2 + k * Math.PI / 5, rr = k % 2 ? r / 2.5 : r;
      ctx.lineTo(x + rr * Math.cos(a), y + rr * Math.sin(a));
    }
    ctx.closePath(); ctx.fill(); ctx.stroke();
  }
  function drawLandscape() {
    const canvas = $("plot-land"), ctx = canvas.getContext("2d"), v = view();
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    // Equal scales on both axes, so that the valley's shape is the Hessian's.
    const pw = canvas.width - PAD.left - PAD.right, ph = canvas.height - PAD.top - PAD.bottom;
    const mid = (v.box.W[0] + v.box.W[1]) / 2, half = (v.box.W[1] - v.box.W[0]) / 2 * pw / ph;
    const f = frame(canvas, [mid - half, mid + half], v.box.b, false, false);
    landFrame = f;
    ctx.putImageData(landscapeImage(ctx, f, v), PAD.left, PAD.top);
    axes(ctx, f, "W", "b");
    ctx.save(); clip(ctx, f);
    ctx.lineWidth = 1.6; ctx.strokeStyle = "#fff"; ctx.fillStyle = "#fff";
    if (state.batch === "full") {
      const n = Math.min(state.epoch, path.W.length - 1) + 1;
      polyline(ctx, path.W.slice(0, n).map(f.X), path.b.slice(0, n).map(f.Y));
      for (let k = 0; k < n; k++) { ctx.beginPath(); ctx.arc(f.X(path.W[k]), f.Y(path.b[k]), 2, 0, 2 * Math.PI); ctx.fill(); }
    } else {
      const last = state.epoch * path.markSteps;
      let n = 0;
      while (n < path.steps.length && path.steps[n] <= last) n++;
      ctx.lineWidth = 1;
      polyline(ctx, path.pathW.slice(0, n).map(f.X), path.pathB.slice(0, n).map(f.Y));
      const m = Math.min(state.epoch, path.W.length - 1) + 1;
      for (let k = 0; k < m; k++) { ctx.beginPath(); ctx.arc(f.X(path.W[k]), f.Y(path.b[k]), 2.4, 0, 2 * Math.PI); ctx.fill(); }
    }
    ctx.fillStyle = "#ffd700"; ctx.strokeStyle = "#333"; ctx.lineWidth = 1;
    star(ctx, f.X(v.optimum.W), f.Y(v.optimum.b), 9);
    ctx.strokeStyle = "#fff"; ctx.lineWidth = 2;
    ctx.beginPath(); ctx.arc(f.X(v.start.W), f.Y(v.start.b), 5, 0, 2 * Math.PI); ctx.stroke();
    // The arrow: the next step -eta * grad L from (W, b), at least 14 px, at most 120 px long.
    const g = gradient(v, state.W, state.b), rate = v.rates[state.rate];
    const px = f.X(state.W), py = f.Y(state.b);
    let dx = f.X(state.W - rate * g[0]) - px, dy = f.Y(state.b - rate * g[1]) - py;
    const len = Math.hypot(dx, dy);
    if (len > 0 && Number.isFinite(len)) {
      const s = Math.max(14, Math.min(120, len)) / len;
      dx *= s; dy *= s;
      ctx.strokeStyle = "#d55e00"; ctx.fillStyle = "#d55e00"; ctx.lineWidth = 2.5;
      ctx.beginPath(); ctx.moveTo(px, py); ctx.lineTo(px + dx, py + dy); ctx.stroke();
      const a = Math.atan2(dy, dx);
      ctx.beginPath(); ctx.moveTo(px + dx, py + dy);
      ctx.lineTo(px + dx - 9 * Math.cos(a - 0.4), py + dy - 9 * Math.sin(a - 0.4));
      ctx.lineTo(px + dx - 9 * Math.cos(a + 0.4), py + dy - 9 * Math.sin(a + 0.4));
      ctx.closePath(); ctx.fill();
    }
    ctx.fillStyle = "#0072b2"; ctx.strokeStyle = "#fff"; ctx.lineWidth = 2;
    ctx.beginPath(); ctx.arc(px, py, 6, 0, 2 * Math.PI); ctx.fill(); ctx.stroke();
    ctx.restore();
  }

  // -- the loss curve --------------------------------------------------------------------
  function drawLoss() {
    const canvas = $("plot-loss"), ctx = canvas.getContext("2d"), v = view();
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    const lossOpt = v.optimum.loss;
    const curve = path.loss.filter(Number.isFinite);
    let noisy = [];
    if (state.batch !== "full") noisy = path.steps.map((s, i) => [s / path.markSteps, loss(v, path.pathW[i], path.pathB[i])]);
    const all = curve.concat(noisy.map((p) => p[1])).filter((L) => L > 0 && Number.isFinite(L));
    const top = Math.min(most(all), DATA.explosion_factor * Math.max(curve[0], TINY));
    const bottom = Math.max(Math.min(least(all), lossOpt > 0 ? lossOpt : Infinity) * 0.8, TINY);
    const f = frame(canvas, [1, path.epochs + 1], [bottom, Math.max(top * 1.5, bottom * 10)], true, true);
    f.logx = "plus1";
    axes(ctx, f, partial() ? `step / ${path.markSteps} (log scale)` : "epoch (log scale)", "MSE (log scale)");
    ctx.save(); clip(ctx, f);
    if (lossOpt > 0) {
      ctx.setLineDash([5, 4]); ctx.strokeStyle = "#009e73"; ctx.lineWidth = 1.5;
      polyline(ctx, [f.X(1), f.X(path.epochs + 1)], [f.Y(lossOpt), f.Y(lossOpt)]);
      ctx.setLineDash([]);
    }
    if (noisy.length) {
      ctx.strokeStyle = "rgba(0, 114, 178, 0.35)"; ctx.lineWidth = 1;
      polyline(ctx, noisy.map((p) => f.X(p[0] + 1)), noisy.map((p) => f.Y(p[1])));
    }
    ctx.strokeStyle = "#0072b2"; ctx.lineWidth = 2;
    polyline(ctx, curve.map((_, k) => f.X(k + 1)), curve.map((L) => f.Y(L)));
    const k = Math.min(state.epoch, curve.length - 1);
    ctx.fillStyle = "#d55e00";
    ctx.beginPath(); ctx.arc(f.X(k + 1), f.Y(curve[k]), 5, 0, 2 * Math.PI); ctx.fill();
    if (path.diverged !== null) {
      ctx.strokeStyle = "#b00"; ctx.setLineDash([3, 3]);
      polyline(ctx, [f.X(path.diverged + 1), f.X(path.diverged + 1)], [PAD.top, f.h - PAD.bottom]);
      ctx.setLineDash([]);
    }
    ctx.restore();
  }

  // -- the words -------------------------------------------------------------------------
  function status() {
    const v = view(), rate = v.rates[state.rate], frac = DATA.rate_fractions[state.rate];
    const hi = 1 - rate * v.lambda_max, lo = 1 - rate * v.lambda_min;
    const el = $("out-status");
    const where = `η = ${fmt(rate)} = ${frac} η_max`;
    let text, cls = "";
    if (path.diverged !== null) {
      const step = path.divergedStep ? ` (step ${path.divergedStep})` : "";
      text = `Diverged at epoch ${path.diverged}${step}: ${where}. `;
      text += state.batch === "full"
        ? `Above η_max, |1 − ηλ_max| = ${fmt(Math.abs(hi))} > 1: the error along the steepest direction grows by that factor every epoch, spiralling out.`
        : "A mini-batch's own Hessian can be steeper than the full data's: the noisy steps overshoot and blow up.";
      cls = "bad";
    } else if (frac > 1 && state.batch === "full") {
      text = `${where}, above η_max: |1 − ηλ_max| = ${fmt(Math.abs(hi))} > 1, the error grows every epoch; it has not yet exploded by epoch ${path.epochs}.`;
      cls = "bad";
    } else if (state.batch !== "full") {
      const span = partial()
        ? `the first ${path.epochs * path.markSteps} steps of the first epoch computed, marked every ${path.markSteps}`
        : `${path.epochs} epoch(s) computed`;
      text = `${where}; batches of ${path.batchSize}, ${path.perEpoch} steps an epoch (shuffled with seed ${DATA.seed}), ${span}: the path is noisy and ends near, not at, the optimum.`;
      cls = "warn";
    } else if (hi < 0) {
      text = `${where}: oscillates along the steepest direction (1 − ηλ_max = ${fmt(hi)}), but |1 − ηλ| < 1 in every direction, so it converges.`;
      cls = "warn";
    } else {
      text = `${where}: converges without overshooting; the flattest direction shrinks by ${fmt(Math.abs(lo))} per epoch (κ = ${fmt(v.kappa)}).`;
    }
    el.textContent = text;
    el.className = cls;
    const d = $("out-diverged-at");
    d.dataset.value = path.diverged === null ? "" : String(path.diverged);
  }

  function notes() {
    const raw = DATA.views.raw, std = DATA.views.std;
    $("notes").innerHTML = "";
    const lines = [
      `<b>Why η_max.</b> The MSE's Hessian H has eigenvalues λ_max = ${fmt(view().lambda_max)} and λ_min = ${fmt(view().lambda_min)}. Each epoch multiplies the error along an eigenvector by (1 − ηλ): below η_max = 2/λ_max every factor is smaller than 1 in size; above it the steepest direction grows.`,
      `<b>Valley or bowl.</b> Raw x: κ = λ_max/λ_min = ${fmt(raw.kappa)}, a long narrow valley, slow along its floor. Standardized x: κ = ${fmt(std.kappa)}, a round bowl, and η = 1/λ_max reaches the optimum at once.`,
      `<b>The data.</b> ${DATA.rows.toLocaleString("en")} rows${DATA.rows > DATA.points.x.length ? `; the scatter shows ${DATA.points.x.length} of them, sampled with seed ${DATA.seed}` : ""}. Every number on this page was computed by linreg in Python when the page was written; full-batch descent is replayed exactly from the data's moments.`,
    ];
    for (const line of lines) { const p = document.createElement("p"); p.innerHTML = line; $("notes").appendChild(p); }
  }

  // -- the controls ----------------------------------------------------------------------
  const SLIDER = 1000;
  function toSlider(range, value) { return Math.round((value - range[0]) / (range[1] - range[0]) * SLIDER); }
  function fromSlider(range, pos) { return range[0] + pos / SLIDER * (range[1] - range[0]); }

  function render() {
    const v = view();
    $("in-W").value = toSlider(v.box.W, state.W);
    $("in-b").value = toSlider(v.box.b, state.b);
    $("show-W").textContent = fmt(state.W);
    $("show-b").textContent = fmt(state.b);
    const rate = v.rates[state.rate];
    $("show-rate").textContent = `${fmt(rate)} (${DATA.rate_fractions[state.rate]} η_max)`;
    put("out-rate", rate);
    $("in-epoch").max = String(path.epochs);
    $("in-epoch").value = String(state.epoch);
    $("show-epoch").textContent = partial()
      ? `step ${state.epoch * path.markSteps} of ${path.epochs * path.markSteps} (epoch 1)`
      : `${state.epoch} of ${path.epochs}`;
    put("out-mse", loss(v, state.W, state.b));
    put("out-W", state.W); put("out-b", state.b);
    const g = gradient(v, state.W, state.b);
    put("out-dW", g[0]); put("out-db", g[1]);
    put("out-Wopt", v.optimum.W); put("out-bopt", v.optimum.b); put("out-lopt", v.optimum.loss);
    put("out-eta-max", v.eta_max);
    put("out-kappa", v.kappa);
    const other = DATA.views[state.view === "raw" ? "std" : "raw"];
    $("out-kappa-other").textContent = `(${state.view === "raw" ? "standardized" : "raw"}: ${fmt(other.kappa)})`;
    put("out-epoch", state.epoch);
    $("mini-label").textContent = `mini-batch (${v.batches.mini.batch_size})`;
    status();
    drawData(); drawLandscape(); drawLoss();
  }

  // Put (W, b) at the path's iterate of the current epoch (the last finite one past a divergence).
  function followPath() {
    state.epoch = Math.max(0, Math.min(state.epoch, path.epochs));
    const k = Math.min(state.epoch, path.W.length - 1);
    state.W = path.W[k]; state.b = path.b[k];
  }
  function retrain() { computePath(); followPath(); render(); }

  function rateMarks() {
    const marks = $("rate-marks"), n = DATA.rate_fractions.length;
    $("in-rate").max = String(n - 1);
    const above = DATA.rate_fractions.findIndex((f) => f > 1);
    const pos = (above - 0.5) / (n - 1) * 100;
    marks.innerHTML = "";
    const span = document.createElement("span");
    span.style.left = `calc(${pos}% + ${(0.5 - pos / 100) * 16}px)`;
    span.textContent = "η_max";
    marks.appendChild(span);
  }

  function stop() { if (state.playing) { clearInterval(state.playing); state.playing = null; $("play").textContent = "▶ play"; } }
  function play() {
    if (state.playing) { stop(); return; }
    if (state.epoch >= path.epochs) state.epoch = 0;
    const stride = Math.max(1, Math.ceil(path.epochs / 150));
    $("play").textContent = "❚❚ pause";
    state.playing = setInterval(() => {
      state.epoch = Math.min(path.epochs, state.epoch + stride);
      followPath(); render();
      if (state.epoch >= path.epochs) stop();
    }, 40);
  }

  function dragTo(event) {
    const canvas = $("plot-land"), r = canvas.getBoundingClientRect();
    const px = (event.clientX - r.left) * canvas.width / r.width, py = (event.clientY - r.top) * canvas.height / r.height;
    const v = view();
    state.W = Math.max(landFrame.xr[0], Math.min(landFrame.xr[1], landFrame.invX(px)));
    state.b = Math.max(v.box.b[0], Math.min(v.box.b[1], landFrame.invY(py)));
    render();
  }

  function wire() {
    $("in-W").addEventListener("input", (e) => { stop(); state.W = fromSlider(view().box.W, Number(e.target.value)); render(); });
    $("in-b").addEventListener("input", (e) => { stop(); state.b = fromSlider(view().box.b, Number(e.target.value)); render(); });
    $("in-rate").addEventListener("input", (e) => { stop(); state.rate = Number(e.target.value); retrain(); });
    $("in-epoch").addEventListener("input", (e) => { stop(); state.epoch = Number(e.target.value); followPath(); render(); });
    for (const radio of document.querySelectorAll("input[name=batch]")) {
      radio.addEventListener("change", (e) => { stop(); state.batch = e.target.value; retrain(); });
    }
    $("in-std").addEventListener("change", (e) => { stop(); state.view = e.target.checked ? "std" : "raw"; retrain(); });
    $("play").addEventListener("click", play);
    const land = $("plot-land");
    let dragging = false;
    land.addEventListener("pointerdown", (e) => {
      stop(); dragging = true;
      try { land.setPointerCapture(e.pointerId); } catch (err) { /* a synthetic pointer */ }
      dragTo(e);
    });
    land.addEventListener("pointermove", (e) => { if (dragging) dragTo(e); });
    land.addEventListener("pointerup", () => { dragging = false; });
  }

  // The state can be set from the address: lab.html#std=1&rate=12&batch=mini&epoch=40&W=1&b=2
  // (rate: a position of the slider, 0 = slowest; lr=VALUE picks the nearest rate).
  function fromHash() {
    const q = new URLSearchParams(window.location.hash.replace(/^#/, ""));
    if (q.get("std") === "1") state.view = "std";
    if (q.has("rate")) state.rate = Math.max(0, Math.min(DATA.rate_fractions.length - 1, parseInt(q.get("rate"), 10) || 0));
    if (q.has("lr")) {
      const want = Number(q.get("lr")), rates = view().rates;
      state.rate = rates.reduce((best, r, i) => Math.abs(Math.log(r / want)) < Math.abs(Math.log(rates[best] / want)) ? i : best, 0);
    }
    const batch = q.get("batch");
    if (batch === "full" || batch === "mini") state.batch = batch;
    if (batch === "1" || batch === "one") state.batch = "one";
    if (q.has("epoch")) state.epoch = parseInt(q.get("epoch"), 10) || 0;
    computePath(); followPath();
    if (q.has("W")) state.W = Number(q.get("W"));
    if (q.has("b")) state.b = Number(q.get("b"));
    $("in-std").checked = state.view === "std";
    $("in-rate").value = String(state.rate);
    for (const radio of document.querySelectorAll("input[name=batch]")) radio.checked = radio.value === state.batch;
  }

  // For tests and for teachers checking a page: #probe=[...] runs a list of actions on the
  // real controls, in order, and writes what the page shows after each, as JSON, into a
  // new pre element of id "probe".
  // An action is {"id": "in-rate", "value": 12} (a slider: set it and fire "input"),
  // {"id": "in-std", "checked": true} or {"radio": "mini"} (fire "change"), or
  // {"drag": [fx, fy]}: press and release the pointer on the landscape at that fraction
  // of its plot area, from the left and from the top.
  function readouts() {
    const out = {};
    for (const el of document.querySelectorAll("[data-value]")) out[el.id] = el.dataset.value;
    out.status = $("out-status").textContent;
    out.shown_W = $("show-W").textContent;
    out.epoch_max = $("in-epoch").max;
    return out;
  }
  function probe() {
    const q = new URLSearchParams(window.location.hash.replace(/^#/, ""));
    if (!q.has("probe")) return;
    const results = [readouts()];
    for (const action of JSON.parse(q.get("probe"))) {
      let el;
      if (action.drag !== undefined) {
        const land = $("plot-land"), r = land.getBoundingClientRect();
        const px = PAD.left + action.drag[0] * (land.width - PAD.left - PAD.right);
        const py = PAD.top + action.drag[1] * (land.height - PAD.top - PAD.bottom);
        const at = { clientX: r.left + px * r.width / land.width, clientY: r.top + py * r.height / land.height, pointerId: 1, bubbles: true };
        land.dispatchEvent(new PointerEvent("pointerdown", at));
        land.dispatchEvent(new PointerEvent("pointerup", at));
      } else if (action.radio !== undefined) {
        el = document.querySelector(`input[name=batch][value=${action.radio}]`);
        el.checked = true;
        el.dispatchEvent(new Event("change"));
      } else {
        el = $(action.id);
        if (action.checked !== undefined) { el.checked = action.checked; el.dispatchEvent(new Event("change")); }
        else { el.value = String(action.value); el.dispatchEvent(new Event("input")); }
      }
      results.push(readouts());
    }
    const pre = document.createElement("pre");
    pre.id = "probe";
    pre.textContent = JSON.stringify(results);
    document.body.appendChild(pre);
  }

  function start() {
    const about = `${DATA.rows.toLocaleString("en")} rows of ${DATA.source || "data"}: ${DATA.target} against ${DATA.feature}. Drag W and b, pick a learning rate, a batch size and an epoch; watch the line, the landscape and the loss.`;
    $("about").textContent = about;
    state.rate = DATA.rate_fractions.findIndex((f) => f >= 0.5);
    rateMarks();
    fromHash();
    wire();
    notes();
    render();
    probe();
    document.body.dataset.ready = "1";
    // Inside an iframe (a notebook): tell the host page it is drawn, with the MSE shown.
    if (window.parent !== window) {
      window.parent.postMessage({ linregLab: "ready", mse: $("out-mse").dataset.value }, "*");
    }
  }
  start();
})();
