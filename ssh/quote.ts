// Kept for providers/remote-step.ts, which imports the quoting from here while providers/ is being moved into
// folders; the quoting itself is config/quote.ts. Delete this file once that import names "../ssh" instead.
export { shellCommand, shellQuote } from "../config/quote";
