// C2SP signed notes (c2sp.org/signed-note) with Ed25519 keys (type 0x01), and C2SP tlog-checkpoint
// bodies: the checkpoint's signature is checked here against the operator key configured for the page
// (step V4), with WebCrypto's Ed25519. A second implementation beside verifier/note.py and checkpoint.py.
import { VerificationError, base64ToBytes, bytesToHex, concatBytes, sha256 } from "./bytes.js";

const ED25519 = 0x01;
const KEY_ID_SIZE = 4;
export const MAX_NOTE_BYTES = 1024 * 1024;
export const MAX_NOTE_SIGNATURES = 100;
const SIGNATURE_PREFIX = "\u2014 "; // EM DASH, SPACE
const NOTE_CONTROL = /[\x00-\x09\x0b-\x1f]/;
const encoder = new TextEncoder();

function formatError(message, evidence = {}) {
  return new VerificationError("V4", message, { kind: "format", ...evidence });
}

function signatureError(message, evidence = {}) {
  return new VerificationError("V4", message, { kind: "signature", ...evidence });
}

/** Key names are non-empty, without spaces, '+' or control characters ("Format"). */
function checkKeyName(name) {
  if (!name) throw formatError("key name is empty");
  for (const char of name) {
    const code = char.codePointAt(0);
    if (/\s/u.test(char) || char === "+" || code < 0x20 || (code >= 0x7f && code <= 0x9f)) {
      throw formatError(`key name ${JSON.stringify(name)} holds a space, '+' or a control character`);
    }
  }
}

/** SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[:4] ("Ed25519 signatures"). */
async function keyId(name, publicKey) {
  const digest = await sha256(concatBytes(encoder.encode(name), Uint8Array.of(0x0a, ED25519), publicKey));
  return digest.slice(0, KEY_ID_SIZE);
}

/** Parse a verifier key `<name>+<8 hex key id>+<base64(0x01 ‖ 32-byte key)>`; only Ed25519 is accepted. */
export async function parseVkey(text) {
  if (typeof text !== "string") throw formatError("a vkey must be text");
  const first = text.indexOf("+");
  const second = first < 0 ? -1 : text.indexOf("+", first + 1);
  if (first < 0 || second < 0) throw formatError("a vkey has the form <name>+<key id>+<base64 key>");
  const name = text.slice(0, first);
  const idHex = text.slice(first + 1, second);
  checkKeyName(name);
  if (!/^[0-9a-f]{8}$/.test(idHex)) throw formatError(`key id ${JSON.stringify(idHex)} is not 8 lowercase hex digits`);
  const key = base64ToBytes(text.slice(second + 1), "vkey");
  if (key.length === 0) throw formatError("the vkey has an empty key");
  if (key[0] !== ED25519) throw formatError(`unsupported key type 0x${key[0].toString(16).padStart(2, "0")}`);
  const publicKey = key.slice(1);
  if (publicKey.length !== 32) throw formatError(`an Ed25519 public key is 32 bytes, not ${publicKey.length}`);
  const expected = bytesToHex(await keyId(name, publicKey));
  if (expected !== idHex) throw formatError(`key id ${idHex} does not match the key (${expected})`);
  return { name, keyId: idHex, publicKey, vkey: text };
}

async function ed25519Verify(publicKey, signature, message) {
  if (signature.length !== 64) return false;
  try {
    const key = await crypto.subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]);
    return await crypto.subtle.verify({ name: "Ed25519" }, key, signature, message);
  } catch {
    return false;
  }
}

function parseSignatureLine(line, number) {
  if (!line.startsWith(SIGNATURE_PREFIX)) throw formatError(`malformed note: signature line ${number} has no em dash`);
  const rest = line.slice(SIGNATURE_PREFIX.length);
  const space = rest.indexOf(" ");
  if (space < 0) throw formatError(`malformed note: signature line ${number} has no signature`);
  const name = rest.slice(0, space);
  checkKeyName(name);
  let raw;
  try {
    raw = base64ToBytes(rest.slice(space + 1), "signature");
  } catch (error) {
    throw formatError(`malformed note: signature line ${number}: ${error.message}`);
  }
  if (raw.length <= KEY_ID_SIZE) throw formatError(`malformed note: signature line ${number} is too short`);
  return { name, keyId: bytesToHex(raw.slice(0, KEY_ID_SIZE)), signature: raw.slice(KEY_ID_SIZE) };
}

/**
 * Verify a signed note against trusted verifiers (from parseVkey). Signatures of unknown keys are
 * ignored; every signature of a known key must verify; at least one must. Returns
 * {text, verified: [names], unverified: [names]}; throws a VerificationError (evidence.kind is
 * "format" or "signature") otherwise.
 */
export async function openNote(note, verifiers) {
  const index = new Map();
  for (const v of verifiers) {
    const id = `${v.name}+${v.keyId}`;
    if (index.has(id)) throw formatError(`ambiguous key ${id}: configured more than once`);
    index.set(id, v);
  }
  const raw = typeof note === "string" ? encoder.encode(note) : note;
  if (raw.length > MAX_NOTE_BYTES) throw formatError("malformed note: too large");
  let decoded;
  try {
    decoded = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(raw);
  } catch {
    throw formatError("malformed note: not valid UTF-8");
  }
  if (typeof note === "string" && note.isWellFormed && !note.isWellFormed()) {
    throw formatError("malformed note: not valid Unicode");
  }
  if (NOTE_CONTROL.test(decoded)) throw formatError("malformed note: contains a control character");
  const split = decoded.lastIndexOf("\n\n");
  if (split < 0) throw formatError("malformed note: no blank line before the signatures");
  const text = decoded.slice(0, split + 1);
  const block = decoded.slice(split + 2);
  if (!block.endsWith("\n")) throw formatError("malformed note: the signature block is empty or unterminated");
  const lines = block.slice(0, -1).split("\n");
  if (lines.length > MAX_NOTE_SIGNATURES) throw formatError("malformed note: too many signature lines");
  const message = encoder.encode(text);
  const verified = new Map();
  const unverified = new Map();
  for (const [i, line] of lines.entries()) {
    const signature = parseSignatureLine(line, i + 1);
    const id = `${signature.name}+${signature.keyId}`;
    const verifier = index.get(id);
    if (!verifier) {
      if (!unverified.has(line)) unverified.set(line, signature.name);
      continue;
    }
    if (!(await ed25519Verify(verifier.publicKey, signature.signature, message))) {
      throw signatureError(`invalid signature for key ${id}`, { key_name: signature.name, key_id: signature.keyId });
    }
    if (!verified.has(id)) verified.set(id, signature.name);
  }
  if (verified.size === 0) throw signatureError("note has no signature from a known key");
  return { text, verified: [...verified.values()], unverified: [...unverified.values()] };
}

/** Parse a checkpoint note text strictly (c2sp.org/tlog-checkpoint): {origin, size (BigInt), root, extensions}. */
export function parseCheckpointBody(text) {
  if (NOTE_CONTROL.test(text)) throw formatError("checkpoint contains a control character");
  if (!text.endsWith("\n")) throw formatError("checkpoint does not end with a newline");
  const lines = text.slice(0, -1).split("\n");
  if (lines.length < 3) throw formatError(`checkpoint has ${lines.length} lines, at least 3 are required`);
  const [origin, sizeText, rootText, ...extensions] = lines;
  if (!origin) throw formatError("checkpoint origin is empty");
  if (!/^(?:0|[1-9][0-9]{0,19})$/.test(sizeText) || BigInt(sizeText) > (1n << 64n) - 1n) {
    throw formatError(`checkpoint tree size ${JSON.stringify(sizeText)} is not canonical decimal`);
  }
  const root = base64ToBytes(rootText, "root hash");
  if (root.length !== 32) throw formatError(`checkpoint root hash must be 32 bytes, got ${root.length}`);
  if (extensions.some((line) => !line)) throw formatError("checkpoint has an empty extension line");
  return { origin, size: BigInt(sizeText), root, extensions };
}

/** Verify a signed checkpoint with the trusted verifiers, for the log `origin`, and parse its body. */
export async function openCheckpoint(note, verifiers, origin) {
  const opened = await openNote(note, verifiers);
  const actual = opened.text.split("\n", 1)[0];
  if (origin !== undefined && actual !== origin) {
    throw formatError(`checkpoint origin ${JSON.stringify(actual)} is not the expected ${JSON.stringify(origin)}`);
  }
  return parseCheckpointBody(opened.text);
}
