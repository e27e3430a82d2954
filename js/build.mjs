// Bundles src/ into co_widget/static/: widget.js + widget.css (the base, sent with every chat),
// and the modules a view asks its kernel for only when it needs them (src/assets/). The output is committed and CI
// rebuilds it and diffs, so it must be byte-for-byte reproducible: no timestamps, no source maps,
// no absolute paths, and the licence notices collected into one banner made from the pinned
// package versions instead of wherever esbuild would find them.
import { readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import { gzipSync, strToU8 } from "fflate";

const here = dirname(fileURLToPath(import.meta.url));
const pkg = JSON.parse(readFileSync(join(here, "package.json"), "utf8"));

const notices = Object.keys(pkg.dependencies).map((name) => {
  const dep = JSON.parse(readFileSync(join(here, "node_modules", name, "package.json"), "utf8"));
  return `${dep.name}@${dep.version} (licence: ${dep.license})`;
});
const banner = `/*! co_widget front end. Bundles ${notices.join(", ")}. */`;

const result = await esbuild.build({
  absWorkingDir: here,
  write: false,
  entryPoints: {
    widget: "src/index.js",
    katex: "src/assets/katex.js",
    highlight: "src/assets/highlight.js",
  },
  outdir: "../co_widget/static",
  bundle: true,
  format: "esm",
  platform: "browser",
  target: ["es2020", "chrome100", "firefox100", "safari15"],
  minify: true,
  legalComments: "none",
  sourcemap: false,
  charset: "utf8",
  banner: { js: banner, css: banner },
  logLevel: "warning",
});

// Every file as built, but the base bundle packed: it is synced with every chat and saved in
// every notebook that keeps widget state, so it travels gzip-compressed inside a small loader
// that the browser unpacks (DecompressionStream) and imports, as anywidget imports `_esm`
// itself: from a blob URL. fflate, not Node's zlib: the same bytes whatever Node builds it.
for (const file of result.outputFiles) {
  const code = basename(file.path) === "widget.js" ? packed(file.text) : file.contents;
  writeFileSync(file.path, code);
}

/** @param {string} code */
function packed(code) {
  const body = code.startsWith(banner) ? code.slice(banner.length) : code;
  const zipped = gzipSync(strToU8(body), { level: 9, mtime: 0 });
  const payload = Buffer.from(zipped).toString("base64");
  return `${banner}
const packed = Uint8Array.from(atob("${payload}"), (c) => c.charCodeAt(0));
const unpacked = new Blob([packed]).stream().pipeThrough(new DecompressionStream("gzip"));
const url = URL.createObjectURL(new Blob([await new Response(unpacked).text()], { type: "text/javascript" }));
const widget = await import(url);
URL.revokeObjectURL(url);
export default widget.default;
export const renderMarkdown = widget.renderMarkdown;
`;
}
