// Bundles src/ into co_widget/static/: widget.js + widget.css (the base, sent with every chat),
// and the modules a view asks its kernel for only when it needs them (src/assets/). The output is committed and CI
// rebuilds it and diffs, so it must be byte-for-byte reproducible: no timestamps, no source maps,
// no absolute paths, and the licence notices collected into one banner made from the pinned
// package versions instead of wherever esbuild would find them.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const pkg = JSON.parse(readFileSync(join(here, "package.json"), "utf8"));

const notices = Object.keys(pkg.dependencies).map((name) => {
  const dep = JSON.parse(readFileSync(join(here, "node_modules", name, "package.json"), "utf8"));
  return `${dep.name}@${dep.version} (licence: ${dep.license})`;
});
const banner = `/*! co_widget front end. Bundles ${notices.join(", ")}. */`;

await esbuild.build({
  absWorkingDir: here,
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
