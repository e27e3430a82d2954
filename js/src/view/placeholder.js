// The composer's placeholder names the chat ("Message Rivers expert"), unless that would not
// fit the one-row box (side-by-side chats are narrow): then it is just "Message". Measured with
// the box's own font; a textarea wraps a long placeholder onto a hidden second line.

/** @type {CanvasRenderingContext2D | null} */
let context = null;

/** @param {HTMLTextAreaElement} input @param {string} name */
export function fitPlaceholder(input, name) {
  const full = `Message ${name}`;
  const style = getComputedStyle(input);
  const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  context ??= document.createElement("canvas").getContext("2d");
  let fits = true; // not laid out yet (no width): the next resize measures again
  if (context && room > 0) {
    context.font = style.font;
    fits = context.measureText(full).width <= room;
  }
  const text = fits ? full : "Message";
  if (input.placeholder !== text) input.placeholder = text;
}
