// Parses and validates an AsyncAPI document (docs/asyncapi.yaml) with
// @asyncapi/parser, the AsyncAPI Initiative's own parser: its schema, its
// references and its rule set. Then checks each message's examples
// against the message's payload schema with Ajv, which the parser does
// not do. Prints every finding and exits 1 if any is an error (or the
// document could not be parsed), 0 otherwise.
//
//   node validate-asyncapi.mjs FILE
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';

import { DiagnosticSeverity, Parser } from '@asyncapi/parser';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';

const file = process.argv[2];
if (!file) {
  console.error('usage: node validate-asyncapi.mjs FILE');
  process.exit(2);
}
const source = resolve(file);
const severityName = {
  [DiagnosticSeverity.Error]: 'error',
  [DiagnosticSeverity.Warning]: 'warning',
  [DiagnosticSeverity.Information]: 'information',
  [DiagnosticSeverity.Hint]: 'hint',
};

const { document, diagnostics } = await new Parser().parse(await readFile(source, 'utf8'), { source });
let errors = 0;
for (const d of diagnostics) {
  const line = d.range ? d.range.start.line + 1 : 0;
  console.log(`${file}:${line}: ${severityName[d.severity]} ${d.code}: ${d.message} at /${d.path.join('/')}`);
  if (d.severity === DiagnosticSeverity.Error) ++errors;
}
if (document === undefined) {
  console.log(`${file}: cannot be parsed (${errors} errors)`);
  process.exit(1);
}

// Payload schemas are AsyncAPI Schema objects: JSON Schema draft 7 with
// a few keywords of its own, which Ajv is told to accept.
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
let examples = 0;
for (const message of document.allMessages()) {
  const payload = message.payload();
  if (!payload) continue;
  const validate = ajv.compile(payload.json());
  message.examples().all().forEach((example, index) => {
    if (!example.hasPayload()) return;
    ++examples;
    if (validate(example.payload())) return;
    ++errors;
    const where = `message ${message.id()}, example ${example.name() ?? index + 1}`;
    console.log(`${file}: error example-payload: ${where} breaks its payload schema: ${ajv.errorsText(validate.errors)}`);
  });
}
if (errors > 0) {
  console.log(`${file}: invalid (${errors} errors)`);
  process.exit(1);
}
console.log(
  `${file}: valid AsyncAPI ${document.version()}; ${examples} examples match their payloads; ` +
    `${diagnostics.length} diagnostics, none an error`,
);
