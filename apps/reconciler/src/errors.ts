/** A failure the run reports as its one error line; the message must never carry a secret. */
export class ReconcilerError extends Error {
  constructor(
    message: string,
    /** Short machine-readable kind, e.g. `config`, `tls`, `http`, `auth`, `malformed-page`. */
    public readonly kind: string,
  ) {
    super(message);
    this.name = 'ReconcilerError';
  }
}
