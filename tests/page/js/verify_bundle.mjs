// Verify a bundle file with the page's verifier (api/page/static/bundle.js) and print the report as JSON:
// node verify_bundle.mjs BUNDLE TRUST_CONFIG TICKET. Used by tests/page/test_js_bundle.py.
import { readFileSync } from "node:fs";

import { verifyBundle } from "../../../api/page/static/bundle.js";

const [bundlePath, trustPath, ticket] = process.argv.slice(2);
const report = await verifyBundle(readFileSync(bundlePath, "utf-8"), JSON.parse(readFileSync(trustPath, "utf-8")), ticket);
const entries = Object.fromEntries([...report.entries].map(([index, r]) => [index, r.status]));
console.log(JSON.stringify({ state: report.state, steps: report.steps, entries }));
