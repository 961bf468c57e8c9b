// RFC 9162 §2.1 Merkle hashing and inclusion proofs (SHA-256 through WebCrypto), written apart from
// the Python verifier (verifier/merkle.py) as a second, independent implementation.
// Sizes and indices are BigInt: the formats allow unsigned 64-bit values, beyond a double's precision.
import { VerificationError, concatBytes, equalBytes, sha256, bytesToHex } from "./bytes.js";

export const HASH_SIZE = 32;
export const MAX_UINT64 = (1n << 64n) - 1n;
export const MAX_PROOF_HASHES = 128;

/** RFC 9162 §2.1.1: the leaf hash SHA-256(0x00 ‖ data). */
export function leafHash(data) {
  return sha256(concatBytes(Uint8Array.of(0), data));
}

/** RFC 9162 §2.1.1: the interior node hash SHA-256(0x01 ‖ left ‖ right). */
export function nodeHash(left, right) {
  return sha256(concatBytes(Uint8Array.of(1), left, right));
}

function checkHash(name, value) {
  if (!(value instanceof Uint8Array) || value.length !== HASH_SIZE) {
    throw new VerificationError("V3", `${name} must be ${HASH_SIZE} bytes`, { field: name });
  }
}

function checkUint64(name, value) {
  if (typeof value !== "bigint" || value < 0n || value > MAX_UINT64) {
    throw new VerificationError("V3", `${name} is not an unsigned 64-bit integer`, { field: name });
  }
}

/** The root an inclusion proof leads to from `leaf` at `index` in a tree of `size` (RFC 9162 §2.1.3.2). */
export async function rootFromInclusionProof(leaf, index, size, proof) {
  checkUint64("index", index);
  checkUint64("tree_size", size);
  checkHash("leaf_hash", leaf);
  if (proof.length > MAX_PROOF_HASHES) {
    throw new VerificationError("V3", `proof has ${proof.length} hashes, more than ${MAX_PROOF_HASHES}`);
  }
  proof.forEach((p, i) => checkHash(`proof[${i}]`, p));
  if (index >= size) {
    throw new VerificationError("V3", `index ${index} is beyond tree size ${size}`);
  }
  let fn = index;
  let sn = size - 1n;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0n) throw new VerificationError("V3", `proof is longer than a tree of size ${size} needs`);
    if ((fn & 1n) === 1n || fn === sn) {
      r = await nodeHash(p, r);
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) throw new VerificationError("V3", `proof is shorter than a tree of size ${size} needs`);
  return r;
}

/** Throws unless `leaf` is at `index` in the tree of `size` whose root is `root`. */
export async function verifyInclusion(leaf, index, size, proof, root) {
  checkHash("root", root);
  const calculated = await rootFromInclusionProof(leaf, index, size, proof);
  if (!equalBytes(calculated, root)) {
    throw new VerificationError("V3", `inclusion proof for index ${index} leads to another root`, {
      expected_root: bytesToHex(root),
      calculated_root: bytesToHex(calculated),
    });
  }
}
