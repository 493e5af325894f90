/**
 * Credentials that an app masks when read back cannot be compared with the desired ones: a hash of what
 * was last written is kept in the resource's state instead, and compared with the hash of the input.
 */
import * as crypto from "node:crypto";

/** What the *arr apps (and others) return in place of a stored secret. */
export const MASKED = "********";

const SALT = "homelab-media-wiring";

/** Hash kept in state for credentials the app masks on read: sha256 hex of `salt:value`. */
export function secretHash(value: string): string {
    return crypto.createHash("sha256").update(`${SALT}:${value}`).digest("hex");
}
