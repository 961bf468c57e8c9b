// Byte helpers for the citizen page's verifier: hex, canonical base64, comparison, concatenation.

/** An error in the evidence (the data is bad): reported as a failed step. */
export class VerificationError extends Error {
  constructor(step, message, evidence = {}) {
    super(message);
    this.name = "VerificationError";
    this.step = step;
    this.evidence = evidence;
  }
}

/** An error reaching a source (the data could not be had): reported as a step not run. */
export class SourceError extends Error {
  constructor(message) {
    super(message);
    this.name = "SourceError";
  }
}

/** Lowercase or uppercase hex (even length, optional 0x) to bytes; throws on anything else. */
export function hexToBytes(hex, field = "hex") {
  const text = hex.startsWith("0x") ? hex.slice(2) : hex;
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(text)) {
    throw new VerificationError("V1", `${field} is not hex`, { field });
  }
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function bytesToHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function bytesToBase64(bytes) {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/** Standard base64 (RFC 4648 §4), only in its canonical form (padding, zero spare bits). */
export function base64ToBytes(text, field = "base64") {
  if (typeof text !== "string" || !BASE64.test(text)) {
    throw new VerificationError("V1", `${field} is not standard base64`, { field });
  }
  const binary = atob(text);
  const out = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  if (bytesToBase64(out) !== text) {
    throw new VerificationError("V1", `${field} is not canonical base64`, { field });
  }
  return out;
}

export function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

export function concatBytes(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}
