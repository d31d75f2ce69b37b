/**
 * The kit's own pause. Sandboxes stand in for remote services, so they never import connector code
 * (a change to the client's retry helpers must not change how the fake server behaves).
 */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
