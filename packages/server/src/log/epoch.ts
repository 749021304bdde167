import { randomBytes } from 'node:crypto';

/** A fresh opaque epoch id: 16 random bytes, base64url (matches the schema's Epoch pattern). */
export function newEpoch(): string {
  return randomBytes(16).toString('base64url');
}
