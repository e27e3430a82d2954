// A thumbnail in a user's bubble opens larger: a click, or Enter/Space on it (it is a button),
// shows the image in a modal <dialog>. The browser's own dialog gives what a keyboard user needs:
// focus moves into it, Tab stays in it, Esc closes it, and focus returns to the thumbnail.
import { button, h } from "../render/dom.js";

/** Opens `img`'s picture larger, above the page; `root` hosts the dialog (the widget's styles).
 *  @param {HTMLImageElement} img @param {HTMLElement} root */
export function openLightbox(img, root) {
  const close = button("lightbox-close", "Close the image", "remove", { cls: "co-lightbox-close" });
  const dialog = /** @type {HTMLDialogElement} */ (
    h("dialog", { cls: "co-lightbox", attrs: { "aria-label": img.alt || "Image" } }, [
      h("img", { attrs: { src: img.src, alt: img.alt } }),
      close,
    ])
  );
  // The close button, or a click on the backdrop (the dialog itself, outside the picture).
  dialog.addEventListener("click", (event) => {
    const target = /** @type {HTMLElement} */ (event.target);
    if (target === dialog || target.closest(".co-lightbox-close")) {
      event.stopPropagation();
      dialog.close();
    }
  });
  dialog.addEventListener("close", () => dialog.remove());
  root.append(dialog);
  dialog.showModal();
  close.focus();
  return dialog;
}
