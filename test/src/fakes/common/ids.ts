import { randomBytes, randomUUID } from 'node:crypto';

/** Cloud-style ids: "i-" + 17 hex digits, "sg-" + 17, "sir-" + 8, ... */
export function hexId(prefix: string, digits = 17): string {
  return `${prefix}-${randomBytes(Math.ceil(digits / 2)).toString('hex').slice(0, digits)}`;
}

export function requestId(): string {
  return randomUUID();
}
