// The page's C2SP signed-note and checkpoint code (api/page/static/note.js, WebCrypto Ed25519) against
// every key, note and checkpoint body of ../shared/vectors/checkpoint.json. Only Ed25519 (0x01) keys are
// supported: keys of other types are refused, so notes only they could verify are refused too.
import assert from "node:assert/strict";
import { test } from "node:test";

import { openNote, parseCheckpointBody, parseVkey } from "../../../api/page/static/note.js";
import { loadVector } from "./vectors.mjs";

const CP = loadVector("checkpoint.json");

test("every key is accepted or refused as expected", async () => {
  let accepted = 0;
  for (const c of CP.keys) {
    if (!c.vkey) continue;
    if (c.valid === true && c.type.includes("(0x01)")) {
      const key = await parseVkey(c.vkey);
      assert.equal(key.vkey, c.vkey);
      accepted++;
    } else {
      await assert.rejects(() => parseVkey(c.vkey), { name: "VerificationError" }, c.vkey);
    }
  }
  assert.ok(accepted >= 10, `only ${accepted} Ed25519 keys accepted`);
});

test("every signed note gives its expected result", async () => {
  let verified = 0;
  for (const c of CP.notes) {
    const note = c.text === null ? Uint8Array.from(Buffer.from(c.hex, "hex")) : c.text;
    const keys = [];
    let refused = 0;
    for (const vkey of c.verifier_keys) {
      try {
        keys.push(await parseVkey(vkey));
      } catch {
        refused++;
      }
    }
    if (refused) {
      await assert.rejects(() => openNote(note, keys), { name: "VerificationError" }, c.desc);
    } else if (c.log_key) {
      const opened = await openNote(note, keys);
      assert.equal(opened.verified.length, c.expected_verified_signature_count, c.desc);
    } else if (c.expected === "verified") {
      const opened = await openNote(note, keys);
      assert.deepEqual(opened.verified, c.verified_signers, c.desc);
      assert.deepEqual(opened.unverified, c.unverified_signers, c.desc);
      verified++;
    } else {
      const kind = c.expected.startsWith("rejected: malformed") ? "format" : undefined;
      const error = await openNote(note, keys).then(
        () => assert.fail(`${c.desc}: ${c.expected}, but it verified`),
        (e) => e,
      );
      assert.equal(error.name, "VerificationError", c.desc);
      if (kind) assert.equal(error.evidence.kind, kind, `${c.desc}: ${error.message}`);
    }
  }
  assert.ok(verified >= 5, `only ${verified} notes verified`);
});

test("a flipped byte in a verified note's text is refused", async () => {
  const c = CP.notes.find((n) => n.expected === "verified" && n.text && !n.log_key);
  const keys = await Promise.all(c.verifier_keys.map(parseVkey));
  const tampered = "X" + c.text.slice(1);
  await assert.rejects(() => openNote(tampered, keys), (e) => e.evidence.kind === "signature");
});

test("checkpoint bodies parse as a strict C2SP parser must", () => {
  for (const c of CP.checkpoint_bodies) {
    if (!("c2sp_strict_parse" in c) || c.text === null || c.text === undefined) continue;
    if (c.c2sp_strict_parse === "ok") {
      const parsed = parseCheckpointBody(c.text);
      assert.equal(parsed.origin, c.text.split("\n")[0], c.desc);
    } else {
      assert.throws(() => parseCheckpointBody(c.text), { name: "VerificationError" }, c.desc);
    }
  }
});
