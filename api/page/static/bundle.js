// Verify a ticket's hotline.bundle/v1 in the browser (DESIGN §7), trusting only the page's configuration
// (operator key, chain, contract, RPC endpoint) and the chain itself, never the bundle's own claims.
// Steps, by the ids the Python verifier uses: V1 parse, V4 checkpoint signature, V5 anchor claim and
// on-chain root, V2 leaf hashes, V3 inclusion proofs, V7 the ticket's chain of entries.
import { SourceError, VerificationError, base64ToBytes, bytesToHex, equalBytes, hexToBytes, sha256 } from "./bytes.js";
import { readAnchor } from "./chain.js";
import { leafHash, verifyInclusion } from "./merkle.js";
import { openCheckpoint, parseVkey } from "./note.js";

export const BUNDLE_V1 = "hotline.bundle/v1";
const TRANSITION_V1 = "hotline.transition/v1";
const HEX32 = /^[0-9a-f]{64}$/;

function v1(message) {
  return new VerificationError("V1", message);
}

function member(object, name, path) {
  if (object === null || typeof object !== "object" || Array.isArray(object) || !(name in object)) {
    throw v1(`${path}${name} is missing`);
  }
  return object[name];
}

function provenList(bundle, name) {
  const items = member(bundle, name, "");
  if (!Array.isArray(items)) throw v1(`${name} must be an array`);
  return items.map((item, i) => {
    const path = `${name}[${i}].`;
    const index = member(item, "index", path);
    const hash = member(item, "hash", path);
    const proof = member(item, "proof", path);
    if (!Number.isSafeInteger(index) || index < 0) throw v1(`${path}index must be a non-negative integer`);
    if (typeof hash !== "string" || !HEX32.test(hash)) throw v1(`${path}hash must be 64 lowercase hex digits`);
    if (!Array.isArray(proof) || proof.some((h) => typeof h !== "string" || !HEX32.test(h))) {
      throw v1(`${path}proof must be a list of 64-hex-digit hashes`);
    }
    return {
      kind: name,
      index,
      hash: hexToBytes(hash),
      data: base64ToBytes(member(item, "data", path), `${path}data`),
      proof: proof.map((h) => hexToBytes(h)),
    };
  });
}

/** V1: the bundle document, strictly enough to walk it (the Python parser is the full schema check). */
export function parseBundle(text) {
  let bundle;
  try {
    bundle = JSON.parse(text);
  } catch (error) {
    throw v1(`the bundle is not JSON (${error.message})`);
  }
  if (member(bundle, "v", "") !== BUNDLE_V1) throw v1(`this is not a ${BUNDLE_V1} document`);
  const anchor = member(bundle, "anchor", "");
  const chain = member(bundle, "chain", "");
  const checkpoint = member(bundle, "checkpoint", "");
  if (typeof checkpoint !== "string") throw v1("checkpoint must be the signed note text");
  for (const name of ["size", "block_number", "timestamp"]) {
    if (!Number.isSafeInteger(member(anchor, name, "anchor."))) throw v1(`anchor.${name} must be an integer`);
  }
  return {
    origin: member(member(bundle, "log", ""), "origin", "log."),
    chain: {
      chainId: member(chain, "chain_id", "chain."),
      contract: String(member(chain, "contract", "chain.")),
      logId: String(member(chain, "log_id", "chain.")),
    },
    checkpoint,
    anchor: {
      size: BigInt(anchor.size),
      root: hexToBytes(String(member(anchor, "root", "anchor.")), "anchor.root"),
      tx: String(member(anchor, "tx", "anchor.")),
      blockNumber: BigInt(anchor.block_number),
      blockHash: String(member(anchor, "block_hash", "anchor.")),
      timestamp: BigInt(anchor.timestamp),
    },
    entries: provenList(bundle, "entries"),
    context: [...provenList(bundle, "policies"), ...provenList(bundle, "keys")],
  };
}

class Report {
  constructor() {
    this.steps = [];
    this.entries = new Map();
    this.anchor = null;
    this.checkpoint = null;
  }
  passed(id, detail) {
    this.steps.push({ id, status: "passed", detail });
  }
  failed(id, detail) {
    this.steps.push({ id, status: "failed", detail });
  }
  notRun(id, detail) {
    this.steps.push({ id, status: "not_run", detail });
  }
  get state() {
    if (this.steps.some((s) => s.status === "failed")) return "failed";
    if (this.steps.some((s) => s.status === "not_run")) return "incomplete";
    return "verified";
  }
  get firstFailure() {
    return this.steps.find((s) => s.status === "failed") || this.steps.find((s) => s.status === "not_run") || null;
  }
}

function decodeEntry(item) {
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(item.data));
  } catch {
    throw new VerificationError("V7", `entry ${item.index} is not UTF-8 JSON`);
  }
}

/** V7: the ticket's entries form one chain: seq 1, 2, … in log order, each `prev` the previous leaf hash. */
function checkTicketChain(items, trust, ticket) {
  const ordered = [...items].sort((a, b) => a.index - b.index);
  let previous = null;
  ordered.forEach((item, i) => {
    const entry = decodeEntry(item);
    item.entry = entry;
    const where = `entry ${item.index}`;
    if (entry.v !== TRANSITION_V1) throw new VerificationError("V7", `${where} is not a transition`);
    if (entry.log !== trust.origin) throw new VerificationError("V7", `${where} belongs to another log`);
    if (entry.ticket !== ticket) throw new VerificationError("V7", `${where} belongs to ticket ${entry.ticket}`);
    if (entry.seq !== i + 1) throw new VerificationError("V7", `${where} has seq ${entry.seq}, expected ${i + 1}`);
    const expectedPrev = previous === null ? null : bytesToHex(previous.hash);
    if (entry.prev !== expectedPrev) {
      throw new VerificationError("V7", `${where} does not link to the step before it (prev)`);
    }
    previous = item;
  });
}

async function checkClaim(bundle, trust, checkpoint) {
  const logId = "0x" + bytesToHex(await sha256(new TextEncoder().encode(trust.origin)));
  const trusted = [BigInt(trust.chain_id), trust.contract.toLowerCase(), logId];
  const claimed = [BigInt(bundle.chain.chainId), bundle.chain.contract.toLowerCase(), bundle.chain.logId.toLowerCase()];
  if (trusted.some((value, i) => value !== claimed[i])) {
    throw new VerificationError("V5", "the bundle's anchor is on another chain, contract or log than the trusted one");
  }
  if (bundle.anchor.size !== checkpoint.size || !equalBytes(bundle.anchor.root, checkpoint.root)) {
    throw new VerificationError("V5", "the bundle's anchor is not of its checkpoint");
  }
  return hexToBytes(logId);
}

/** V5 against the chain: the contract's root at the checkpoint's size is the checkpoint's root. */
async function checkChain(report, bundle, trust, checkpoint, logId) {
  let onChain;
  try {
    onChain = await readAnchor(trust.rpc_url, trust.contract, logId, checkpoint.size);
  } catch (error) {
    if (error instanceof SourceError) {
      report.notRun("V5", error.message);
      return false;
    }
    throw error;
  }
  if (onChain.chainId !== BigInt(trust.chain_id)) {
    throw new VerificationError("V5", `the RPC endpoint is on chain ${onChain.chainId}, not ${trust.chain_id}`);
  }
  if (onChain.root.every((b) => b === 0)) {
    throw new VerificationError("V5", `the contract holds no anchor of size ${checkpoint.size} for this log`);
  }
  if (!equalBytes(onChain.root, checkpoint.root)) {
    throw new VerificationError("V5", `the root on chain for size ${checkpoint.size} is not the checkpoint's root`);
  }
  if (onChain.blockNumber !== bundle.anchor.blockNumber || onChain.timestamp !== bundle.anchor.timestamp) {
    throw new VerificationError("V5", "the anchor's block or time in the evidence is not the chain's");
  }
  report.anchor = { ...bundle.anchor, blockNumber: onChain.blockNumber, timestamp: onChain.timestamp };
  report.passed("V5", `size ${checkpoint.size} anchored with this root in block ${onChain.blockNumber}`);
  return true;
}

/**
 * Verify a bundle's text for `ticket` against `trust` {origin, verifier_keys, chain_id, contract, rpc_url}.
 * Returns a report: state ("verified" | "failed" | "incomplete"), steps, firstFailure, and per entry
 * index {status: "verified" | "failed" | "unanchored", entry}.
 */
export async function verifyBundle(text, trust, ticket) {
  const report = new Report();
  let bundle;
  try {
    bundle = parseBundle(text);
    report.passed("V1", `bundle with ${bundle.entries.length} step(s)`);
    const verifiers = await Promise.all(trust.verifier_keys.map(parseVkey));
    const checkpoint = await openCheckpoint(bundle.checkpoint, verifiers, trust.origin);
    report.checkpoint = checkpoint;
    report.passed("V4", `checkpoint of size ${checkpoint.size} signed by the operator's key`);
    const logId = await checkClaim(bundle, trust, checkpoint);
    for (const item of [...bundle.entries, ...bundle.context]) {
      if (!equalBytes(await leafHash(item.data), item.hash)) {
        report.entries.set(item.index, { status: "failed" });
        throw new VerificationError("V2", `the bytes of entry ${item.index} do not hash to its leaf hash`);
      }
    }
    report.passed("V2", `${bundle.entries.length + bundle.context.length} leaf hash(es) recomputed`);
    for (const item of [...bundle.entries, ...bundle.context]) {
      try {
        await verifyInclusion(item.hash, BigInt(item.index), checkpoint.size, item.proof, checkpoint.root);
      } catch (error) {
        report.entries.set(item.index, { status: "failed" });
        throw error;
      }
    }
    report.passed("V3", `inclusion proofs against the root of size ${checkpoint.size}`);
    checkTicketChain(bundle.entries, trust, ticket);
    report.passed("V7", `${bundle.entries.length} step(s) linked from seq 1`);
    const anchored = await checkChain(report, bundle, trust, checkpoint, logId);
    for (const item of bundle.entries) {
      report.entries.set(item.index, { status: anchored ? "verified" : "unanchored", entry: item.entry });
    }
  } catch (error) {
    if (!(error instanceof VerificationError)) throw error;
    report.failed(error.step || "V1", error.message);
  }
  return report;
}
