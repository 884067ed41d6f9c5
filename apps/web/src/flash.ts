/** A one-shot message carried across a navigation (e.g. "Deleted shop" shown on the dashboard). */
let pending: string | null = null;

export function setFlash(message: string): void {
  pending = message;
}

export function takeFlash(): string | null {
  const message = pending;
  pending = null;
  return message;
}
