// Loads every schemas/*.schema.json into one Ajv (JSON Schema 2020-12) instance
// so cross-file $refs resolve, and validates values by schema name.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const schemaDir = join(repoRoot, 'schemas');
const BASE = 'https://patrol.example/schemas/';

export function schemaNames() {
  return readdirSync(schemaDir)
    .filter((f) => f.endsWith('.schema.json'))
    .map((f) => f.slice(0, -'.schema.json'.length))
    .sort();
}

export function loadAjv() {
  const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
  addFormats(ajv);
  for (const name of schemaNames()) {
    const schema = JSON.parse(readFileSync(join(schemaDir, `${name}.schema.json`), 'utf8'));
    if (schema.$id !== `${BASE}${name}.schema.json`) {
      throw new Error(`${name}.schema.json: $id must be ${BASE}${name}.schema.json, is ${schema.$id}`);
    }
    ajv.addSchema(schema);
  }
  return ajv;
}

// Returns null when valid, else a readable list of errors.
export function check(ajv, name, value) {
  const validate = ajv.getSchema(`${BASE}${name}.schema.json`);
  if (!validate) throw new Error(`no schema named ${name}`);
  if (validate(value)) return null;
  return ajv.errorsText(validate.errors, { separator: '\n  ', dataVar: name });
}

// Asserts with the value in the message, so a failure shows what was sent.
export function assertValid(assert, ajv, name, value, what = name) {
  const errors = check(ajv, name, value);
  assert.equal(errors, null, `${what} does not match ${name}.schema.json:\n  ${errors}\nvalue: ${JSON.stringify(value, null, 1).slice(0, 4000)}`);
}
