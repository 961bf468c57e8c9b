// Load ../shared/vectors in place (beside the checkout), with 64-bit indices and sizes kept exact.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const checkout = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const VECTORS = join(checkout, "..", "shared", "vectors");

/** Parse a vector file; integers of 16 or more digits in index/size fields become strings (for BigInt). */
export function loadVector(name) {
  const text = readFileSync(join(VECTORS, name), "utf-8");
  return JSON.parse(text.replace(/("(?:index|size|size1|size2)":\s*)(\d{16,})/g, '$1"$2"'));
}
