/** Collects bind values; SQL text only ever contains the `$n` placeholders it hands out. */
export class SqlParams {
  readonly values: unknown[] = [];

  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}
