// Page side of benchmarks/browser_render.py: one streaming session in the harness page, either
// through the widget's own view (mode "widget") or the naive baseline (mode "naive").
async ({ mode, prior, deltas, reply, rate, preloadMath }) => {
  const nextFrame = () =>
    new Promise((resolve) => requestAnimationFrame(resolve));
  // The frame after the next animation frame callback has painted (a message-channel hop).
  const afterPaint = () =>
    new Promise((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => resolve(performance.now());
      requestAnimationFrame(() => channel.port2.postMessage(0));
    });

  // Opening the view: the widget renders the history newest first, in slices, over some frames.
  window.__coWidgetStats = { frames: [] };
  const opened = performance.now();
  const model = harness.setup({ messages: prior });
  while (document.querySelectorAll(".co-list > .co-msg").length < prior.length)
    await nextFrame();
  // Opening includes highlighting the history's code: the highlighter arrives from the kernel
  // (here the harness) after the first render, and highlights the waiting blocks over a few
  // frames. Done when no block of a known language is left plain.
  const plain = () =>
    document.querySelectorAll(
      ".co-list pre > code:is(.language-python, .language-javascript, .language-json, .language-bash):not(.hljs)",
    ).length;
  while (plain() > 0) await nextFrame();
  const initialRender = performance.now() - opened;
  const initialSlice = Math.max(...window.__coWidgetStats.frames);
  for (let i = 0; i < 5; i++) await nextFrame();
  // The math run measures typesetting while streaming: KaTeX is loaded first (from the harness's
  // kernel stand-in, as a real kernel would send it), not halfway through the stream.
  while (preloadMath && !harness.renderMarkdown("$x$").querySelector("math"))
    await nextFrame();

  const user = { role: "user", content: "Write a long answer." };
  const longTasks = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) longTasks.push(entry.duration);
  });
  observer.observe({ type: "longtask" });

  // The naive baseline: one bubble in the same list, fully re-rendered on every delta.
  let naive = null;
  const naiveWork = [];
  if (mode === "naive") {
    const list = document.querySelector(".co-list");
    naive = { list, body: document.createElement("div"), text: "" };
    naive.body.className = "co-md";
    const bubble = document.createElement("div");
    bubble.className = "co-msg co-assistant";
    bubble.append(document.createElement("div"));
    bubble.firstChild.className = "co-bubble";
    bubble.firstChild.append(naive.body);
    list.append(bubble);
  }
  let sent = 0;
  const deliver = (text) => {
    if (naive) {
      const begun = performance.now();
      naive.text += text;
      naive.body.replaceChildren(harness.renderMarkdown(naive.text));
      naive.list.scrollTop = naive.list.scrollHeight;
      naiveWork.push([begun, performance.now() - begun]);
    } else {
      model.emit({ type: "delta", seq: sent + 1, reply: "r", text });
    }
  };

  if (!naive)
    model.emit({ type: "begin", seq: 0, reply: "r", base: prior.length, user });
  model.set("status", "streaming");
  for (let i = 0; i < 3; i++) await nextFrame();
  window.__coWidgetStats.frames = [];

  // Frame start times, to add up the baseline's work per frame.
  const frameStarts = [];
  let streaming = true;
  const tick = () => {
    frameStarts.push(performance.now());
    if (streaming) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);

  const start = performance.now();
  deliver(deltas[0]);
  sent = 1;
  const firstPaint = (await afterPaint()) - start;

  // Each delta arrives in a task of its own, as comm messages do; a timer posts those that are
  // due, so a renderer that falls behind gets a backlog, not a single giant task.
  await new Promise((done) => {
    const channel = new MessageChannel();
    let posted = 1;
    channel.port1.onmessage = () => {
      deliver(deltas[sent]);
      sent += 1;
      if (sent === deltas.length) done();
    };
    const pump = () => {
      const elapsed = (performance.now() - start) / 1000;
      const due = Math.min(deltas.length, Math.floor(elapsed * rate) + 1);
      for (; posted < due; posted++) channel.port2.postMessage(0);
      if (posted < deltas.length) setTimeout(pump, 4);
    };
    pump();
  });
  const streamSeconds = (performance.now() - start) / 1000;
  await nextFrame();
  await nextFrame();

  // The end of the reply: the commit of `messages`, then `end` (widget only).
  let finalRender = null;
  if (!naive) {
    const before = window.__coWidgetStats.frames.length;
    model.set("messages", [
      ...prior,
      user,
      { role: "assistant", content: reply },
    ]);
    model.emit({ type: "end", seq: sent + 1, reply: "r" });
    model.set("status", "idle");
    await nextFrame();
    await nextFrame();
    finalRender = Math.max(...window.__coWidgetStats.frames.slice(before));
    window.__coWidgetStats.frames.length = before;
  }
  await afterPaint();
  streaming = false;
  observer.disconnect();

  let frames = window.__coWidgetStats.frames;
  if (naive) {
    const perFrame = new Map();
    for (const [at, ms] of naiveWork) {
      const frame = frameStarts.findLastIndex((frameStart) => frameStart <= at);
      perFrame.set(frame, (perFrame.get(frame) ?? 0) + ms);
    }
    frames = [...perFrame.values()];
  }
  const shown = naive
    ? naive.body.textContent
    : document.querySelector(".co-assistant:last-child .co-md").textContent;
  delete window.__coWidgetStats;
  return {
    frames,
    longTasks,
    firstPaint,
    initialRender,
    initialSlice,
    finalRender,
    streamSeconds,
    shownChars: shown.length,
  };
};
