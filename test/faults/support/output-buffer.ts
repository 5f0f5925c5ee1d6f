const KEEP = 256 * 1024;

/** The latest output of a child process, bounded: an outage can make a process log without end. */
export class OutputBuffer {
  private text = '';

  append(chunk: Buffer | string): void {
    this.text += chunk.toString();
    if (this.text.length > 2 * KEEP) this.text = this.text.slice(-KEEP);
  }

  includes(needle: string): boolean {
    return this.text.includes(needle);
  }

  all(): string {
    return this.text;
  }

  /** The last `chars` characters. */
  tail(chars = 3000): string {
    return this.text.slice(-chars);
  }
}
