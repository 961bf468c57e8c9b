// The page's RFC 9162 code (api/page/static/merkle.js) against every hasher, root and inclusion vector
// of ../shared/vectors/rfc6962.json: valid proofs verify, every invalid one is refused.
import assert from "node:assert/strict";
import { test } from "node:test";

import { bytesToHex, hexToBytes } from "../../../api/page/static/bytes.js";
import { leafHash, nodeHash, verifyInclusion } from "../../../api/page/static/merkle.js";
import { loadVector } from "./vectors.mjs";

const RFC = loadVector("rfc6962.json");

test("hasher known answers", async () => {
  for (const c of RFC.hasher) {
    if (c.kind === "leaf") assert.equal(bytesToHex(await leafHash(hexToBytes(c.input_hex))), c.hash);
    if (c.kind === "node") {
      assert.equal(bytesToHex(await nodeHash(hexToBytes(c.left_hex), hexToBytes(c.right_hex))), c.hash);
    }
  }
});

test("reference leaf hashes", async () => {
  for (const [i, leaf] of RFC.leaves_hex.entries()) {
    assert.equal(bytesToHex(await leafHash(hexToBytes(leaf))), RFC.leaf_hashes[i]);
  }
});

test("every inclusion vector gives its expected result", async () => {
  let valid = 0;
  let invalid = 0;
  for (const c of RFC.inclusion) {
    const leaf = c.leaf_hash !== null ? hexToBytes(c.leaf_hash) : await leafHash(hexToBytes(c.leaf_hex));
    const run = () =>
      verifyInclusion(leaf, BigInt(c.index), BigInt(c.size), c.path.map((h) => hexToBytes(h)), hexToBytes(c.root));
    if (c.valid) {
      await run();
      valid++;
    } else {
      await assert.rejects(run, { name: "VerificationError" }, `${c.desc} (${c.source}) must be refused`);
      invalid++;
    }
  }
  assert.equal(valid, 28);
  assert.equal(invalid, 96);
});

test("a flipped bit in any proof element is refused", async () => {
  const c = RFC.inclusion.find((v) => v.valid && v.path.length >= 3);
  for (let i = 0; i < c.path.length; i++) {
    const path = c.path.map((h) => hexToBytes(h));
    path[i][0] ^= 1;
    await assert.rejects(() =>
      verifyInclusion(hexToBytes(c.leaf_hash), BigInt(c.index), BigInt(c.size), path, hexToBytes(c.root)),
    );
  }
});
