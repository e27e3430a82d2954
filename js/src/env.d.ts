// The bundler imports CSS for its side effect (esbuild writes it to widget.css).
declare module "*.css";

// The source text of a rendered message (what Copy copies), kept on its element.
interface HTMLElement {
  coSource?: string;
}

// When a running tool call started (performance.now() time), kept on its card.
interface HTMLElement {
  coStartedAt?: number;
}

// A reply's logprobs ([start, end, logprob] per streamed piece), kept on its element.
interface HTMLElement {
  coLogprobs?: number[][];
}
