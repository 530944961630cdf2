/**
 * Reading a third party's answer without trusting its size: both the HTTP client (action and data-source answers)
 * and the OAuth2 token fetch stop reading past their limit.
 */

/** The body as text, or undefined (and the rest discarded) when it is over `max` bytes. */
export async function readCapped(
  body: AsyncIterable<Buffer> & { destroy(): unknown },
  max: number,
): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of body) {
    size += c.length;
    if (size > max) {
      body.destroy();
      return undefined;
    }
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString('utf8');
}
