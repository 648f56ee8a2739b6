// Answers parity cases with the core compiled to wasm (see parity/src/lib.rs):
// node tests/parity/run.mjs PKG_JS CASES_JSON OUT
// PKG_JS is the `wasm-bindgen --target nodejs` module of preflight-parity.
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';

const [pkg, input, output] = process.argv.slice(2);
if (!pkg || !input || !output) {
  console.error('usage: node tests/parity/run.mjs PKG_JS CASES_JSON OUT');
  process.exit(2);
}
const parity = createRequire(import.meta.url)(pkg);
writeFileSync(output, parity.answer(readFileSync(input, 'utf8')));
