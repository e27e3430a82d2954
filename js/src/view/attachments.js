// Images: the composer's attachments (paste, drop, or pick a file) and the thumbnails shown in
// a user's bubble. The files go to the kernel as binary buffers of the `send` custom message,
// never as base64 inside its JSON.
import "./attachments.css";
import { button, h } from "../render/dom.js";

// Only raster images the widget itself made (the kernel's thumbnails, as data: URLs) are shown.
// Never SVG (it can carry script), and never a remote URL: the browser loads nothing from the
// network, so http(s) images are links.
// Jupyter Server's websocket (tornado) closes the kernel connection on a message over 10 MiB, so
// the images of one message stay under this; bigger files are scaled down and sent as JPEG. The
// kernel then fits them to Cohere's own limits.
const MAX_MESSAGE_BYTES = 8 * 1024 * 1024;
const SHRINK_SIDE = 2048;

export class Attachments {
  constructor() {
    /** @type {{file: File, url: string}[]} url: a blob: URL of the file, for its thumbnail */
    this.items = [];
    /** @type {{file: File, url: string}[]} the last send's files, until the kernel answers it */
    this.sent = [];
    this.enabled = true;
    /** Says why dropped or pasted files were not attached (set by the view). */
    this.onRefused = /** @param {string} _text */ (_text) => {};
    this.tray = h("div", { cls: "co-attachments", attrs: { "aria-label": "Attached images" } });
    this.picker = /** @type {HTMLInputElement} */ (
      h("input", {
        cls: "co-picker",
        attrs: { type: "file", accept: "image/*", multiple: "", tabindex: "-1" },
      })
    );
    this.pickBtn = button("attach", "Attach images", "attach", { cls: "co-attach" });
    this.pickBtn.addEventListener("click", () => this.picker.click());
    this.picker.addEventListener("change", () => {
      this.add(this.picker.files ?? []);
      this.picker.value = "";
    });
    this.tray.addEventListener("click", (event) => {
      const target = /** @type {HTMLElement} */ (event.target);
      const btn = /** @type {HTMLElement | null} */ (target.closest("[data-co-action='detach']"));
      if (btn) this.remove(Number(btn.dataset.index));
    });
  }

  // Paste into the input, or drop anywhere on the composer.
  /** @param {HTMLElement} composer @param {HTMLElement} input */
  listen(composer, input) {
    input.addEventListener("paste", (event) => this.takeFrom(event, event.clipboardData));
    composer.addEventListener("dragover", (event) => {
      if (!event.dataTransfer?.types.includes("Files")) return;
      event.preventDefault();
      composer.classList.add("co-dropping");
    });
    composer.addEventListener("dragleave", () => composer.classList.remove("co-dropping"));
    composer.addEventListener("drop", (event) => {
      composer.classList.remove("co-dropping");
      this.takeFrom(event, event.dataTransfer);
    });
  }

  // Off for a model known to take no images: no button, and pastes and drops are left alone.
  /** @param {boolean} on */
  enable(on) {
    this.enabled = on;
    this.pickBtn.hidden = !on;
    if (!on) this.clear();
  }

  // Files the composer cannot take (a CSV, a PDF, an SVG; any file when the model takes no
  // images) are not dropped silently: the view says what is accepted and how documents go in.
  // The composer's text is left as it is.
  /** @param {Event} event @param {DataTransfer | null} transfer */
  takeFrom(event, transfer) {
    const all = [...(transfer?.files ?? [])];
    if (!all.length) return;
    event.preventDefault(); // else the browser would paste the file name or open the file
    const files = this.enabled ? all.filter(isRaster) : [];
    const refused = all.filter((file) => !files.includes(file));
    if (refused.length) this.onRefused(refusal(refused, this.enabled));
    if (files.length) this.add(files);
  }

  /** @param {Iterable<File>} files */
  add(files) {
    for (const file of files) {
      // Raster images only: the kernel cannot read SVG, and neither can Cohere.
      if (file.type.startsWith("image/") && file.type !== "image/svg+xml") {
        this.items.push({ file, url: URL.createObjectURL(file) });
      }
    }
    this.render();
  }

  /** @param {number} index */
  remove(index) {
    const [item] = this.items.splice(index, 1);
    if (item) URL.revokeObjectURL(item.url);
    this.render();
  }

  get count() {
    return this.items.length;
  }

  // The attached files' bytes, and an empty tray. The files are kept until the kernel takes the
  // message (`settle`) or rejects it (`giveBack`), so a refused send loses no image.
  async take() {
    const items = this.items;
    this.items = [];
    this.render();
    this.settle();
    this.sent = items;
    const budget = MAX_MESSAGE_BYTES / Math.max(1, items.length);
    const buffers = await Promise.all(items.map((item) => fitted(item.file, budget)));
    const meta = items.map((item) => ({ name: item.file.name, type: item.file.type }));
    return { meta, buffers };
  }

  // The kernel refused the last send: its images come back to an empty tray.
  giveBack() {
    if (this.items.length) return this.settle();
    this.items = this.sent;
    this.sent = [];
    this.render();
  }

  // The kernel took the last send (its reply began): its files are no longer needed.
  settle() {
    for (const item of this.sent) URL.revokeObjectURL(item.url);
    this.sent = [];
  }

  render() {
    this.tray.replaceChildren(
      ...this.items.map((item, index) => {
        const remove = button("detach", `Remove ${item.file.name || "image"}`, "remove", {
          cls: "co-detach",
        });
        remove.dataset.index = String(index);
        return h("div", { cls: "co-attachment" }, [
          h("img", { attrs: { src: item.url, alt: item.file.name || "attached image" } }),
          remove,
        ]);
      }),
    );
  }

  clear() {
    for (const item of this.items) URL.revokeObjectURL(item.url);
    this.items = [];
    this.settle();
    this.render();
  }
}

// The file's bytes, or, for a file over `budget`, a smaller JPEG of it.
/** @param {File} file @param {number} budget @returns {Promise<ArrayBuffer>} */
async function fitted(file, budget) {
  if (file.size <= budget) return file.arrayBuffer();
  const bitmap = await createImageBitmap(file);
  let scale = Math.min(1, SHRINK_SIDE / Math.max(bitmap.width, bitmap.height));
  for (;;) {
    const width = Math.max(1, Math.round(bitmap.width * scale));
    const height = Math.max(1, Math.round(bitmap.height * scale));
    const canvas = new OffscreenCanvas(width, height);
    /** @type {OffscreenCanvasRenderingContext2D} */ (canvas.getContext("2d")).drawImage(
      bitmap,
      0,
      0,
      width,
      height,
    );
    const blob = await canvas.convertToBlob({ type: "image/jpeg", quality: 0.85 });
    if (blob.size <= budget || width === 1) return blob.arrayBuffer();
    scale *= 0.7;
  }
}

/** @param {File} file */
function isRaster(file) {
  return file.type.startsWith("image/") && file.type !== "image/svg+xml";
}

/** @param {File[]} files @param {boolean} enabled */
function refusal(files, enabled) {
  const names = files.map((file) => file.name || "the file").join(", ");
  const model = enabled ? "" : ", and this chat's model takes none";
  return (
    `Not attached: ${names}. The composer takes PNG, JPEG, GIF or WebP images${model}. ` +
    "To chat about documents, pass their text to the chat in Python: " +
    "Chat(documents=[...]) for a few, Chat(corpus=...) for many."
  );
}
