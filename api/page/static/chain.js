// Step V5 in the browser: read the anchored root straight from the chain, with a JSON-RPC eth_call
// of CheckpointAnchor.anchoredAt(bytes32 logId, uint64 size) to the public RPC endpoint configured
// for the page. The ABI is encoded by hand: a 4-byte selector and two 32-byte words in, three out.
import { SourceError, VerificationError, bytesToHex, hexToBytes } from "./bytes.js";

/** keccak256("anchoredAt(bytes32,uint64)")[:4]; tests/page/test_chain_selector.py checks it against the ABI. */
export const ANCHORED_AT_SELECTOR = "0x74a28049";
const RPC_TIMEOUT_MS = 8000;

function word(value) {
  return value.toString(16).padStart(64, "0");
}

/** The call data of anchoredAt(logId, size). */
export function encodeAnchoredAt(logId, size) {
  if (logId.length !== 32) throw new VerificationError("V5", "a log id is 32 bytes");
  if (typeof size !== "bigint" || size < 0n || size >= 1n << 64n) {
    throw new VerificationError("V5", "a tree size is an unsigned 64-bit integer");
  }
  return ANCHORED_AT_SELECTOR + bytesToHex(logId) + word(size);
}

/** Decode anchoredAt's (bytes32 root, uint64 blockNumber, uint64 timestamp). */
export function decodeAnchoredAt(result) {
  const data = hexToBytes(result, "eth_call result");
  if (data.length !== 96) {
    throw new VerificationError("V5", `the contract answered ${data.length} bytes, not 96: is it the anchor contract?`);
  }
  const uint = (offset) => {
    const high = data.slice(offset, offset + 24);
    if (high.some((b) => b !== 0)) throw new VerificationError("V5", "the contract answered a value beyond uint64");
    return BigInt("0x" + bytesToHex(data.slice(offset + 24, offset + 32)));
  };
  return { root: data.slice(0, 32), blockNumber: uint(32), timestamp: uint(64) };
}

/** One JSON-RPC call; a SourceError when the endpoint cannot be reached or answers an error. */
export async function rpc(url, method, params) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), RPC_TIMEOUT_MS);
  let answer;
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
      signal: controller.signal,
    });
    if (!response.ok) throw new SourceError(`the chain's RPC endpoint answered HTTP ${response.status}`);
    answer = await response.json();
  } catch (error) {
    if (error instanceof SourceError) throw error;
    throw new SourceError(`the chain's RPC endpoint ${url} could not be reached (${error.message})`);
  } finally {
    clearTimeout(timer);
  }
  if (answer.error) throw new SourceError(`the chain's RPC endpoint refused ${method}: ${answer.error.message}`);
  return answer.result;
}

/** What the chain says about the anchor of `size`: its chain id and the contract's (root, block, time). */
export async function readAnchor(url, contract, logId, size) {
  const chainId = BigInt(await rpc(url, "eth_chainId", []));
  const result = await rpc(url, "eth_call", [{ to: contract, data: encodeAnchoredAt(logId, size) }, "latest"]);
  return { chainId, ...decodeAnchoredAt(result) };
}
