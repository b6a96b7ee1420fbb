/**
 * Replay nonces the CA has already handed out. Every ACME response carries a fresh `Replay-Nonce`
 * (RFC 8555 §6.5); acme-client ignores it and sends `HEAD newNonce` before every signed request, which
 * doubles the round trips and, against a CA that answers HEAD without Content-Length (Pebble), makes
 * Node close the kept-alive connection each time (a TLS handshake per request). Each nonce is taken
 * at most once; the newest first, and none older than `maxAgeMs` (a stale one would cost a badNonce
 * retry, no more than the HEAD it saves).
 */
export class NoncePool {
  private readonly nonces: { value: string; at: number }[] = [];

  constructor(
    private readonly maxAgeMs = 60_000,
    private readonly capacity = 32,
    private readonly now: () => number = Date.now,
  ) {}

  put(nonce: string | undefined): void {
    if (!nonce) return;
    this.nonces.push({ value: nonce, at: this.now() });
    if (this.nonces.length > this.capacity) this.nonces.shift();
  }

  /** The newest unused nonce still young enough, or undefined (then ask the CA). */
  take(): string | undefined {
    const oldest = this.now() - this.maxAgeMs;
    for (let n = this.nonces.pop(); n; n = this.nonces.pop()) {
      if (n.at >= oldest) return n.value;
      this.nonces.length = 0; // the rest are older still
    }
    return undefined;
  }
}
