/** What presenters need to know about the request: where the web UI lives, for HrefBaseSpaceUI. */
export interface PresentContext {
  /** Absolute origin of this hub as the client reached it, e.g. `http://127.0.0.1:3000`. */
  origin: string;
}
