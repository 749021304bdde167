/*
 * Ajv standalone code for every schema of the registry, so neither a gateway nor a browser has to
 * compile schemas (`new Function`) at run time.
 */
import { Ajv } from 'ajv';
import standalone from 'ajv/dist/standalone/index.js';
import { Schemas, type SchemaName } from '../src/registry.js';
import { AJV_OPTIONS } from '../src/validate.js';
import { collectDefinitions, referencing, type JsonObject } from './bundle.js';

const HEADER = '// generated — do not edit. Source: packages/schema/src (Ajv standalone code); rebuild with `npm run gen`.\n';

/*
 * Ajv's only runtime helper here counts string length in code points (JSON Schema's definition).
 * It is inlined so the module imports nothing: plain ESM, no `require`, bundles for any browser.
 */
const UCS2_REQUIRE = 'require("ajv/dist/runtime/ucs2length").default';
const UCS2_INLINE = `function ucs2length(str) {
  let length = 0;
  let pos = 0;
  while (pos < str.length) {
    length++;
    const code = str.charCodeAt(pos++);
    if (code >= 0xd800 && code <= 0xdbff && pos < str.length && (str.charCodeAt(pos) & 0xfc00) === 0xdc00) pos++;
  }
  return length;
}
`;

export interface GeneratedValidators {
  js: string;
  dts: string;
}

export function buildValidators(): GeneratedValidators {
  // Shared definitions are referenced, not inlined (inlineRefs: false), so each compiles to one
  // function; validation results and instance paths are the same as the inline runtime compile.
  const ajv = new Ajv({ ...AJV_OPTIONS, inlineRefs: false, code: { source: true, esm: true } });
  const defs = collectDefinitions();
  for (const [name, schema] of defs) ajv.addSchema({ $id: name, ...(referencing(schema, defs, (target) => target) as JsonObject) });
  const names = Object.keys(Schemas) as SchemaName[];
  // The module is CommonJS; its `default` property is the generator under every loader.
  let code = standalone.default(ajv, Object.fromEntries(names.map((name) => [name, name])));

  code = code.replace(/^"use strict";/, '');
  const helperUses = code.split(UCS2_REQUIRE).length - 1;
  if (helperUses > 1) throw new Error('ucs2length is required more than once');
  if (helperUses === 1) code = UCS2_INLINE + code.replace(UCS2_REQUIRE, 'ucs2length');
  if (/\brequire\s*\(/.test(code)) throw new Error('standalone validators still contain require(): not browser-safe ESM');
  // One statement per line keeps diffs of the committed file readable.
  code = code.replace(/;(export const |const schema\d+ = |function validate\d+\()/g, ';\n$1').replace(/\}(function validate\d+\()/g, '}\n$1');

  // Module-level RegExp construction is the only top-level call: marked pure, so any bundler (not
  // only one that honours package.json `sideEffects`) drops the patterns of validators left unused.
  const regExps = code.split('new RegExp(').length - 1;
  code = code.replace(/(const pattern\d+ = )new RegExp\(/g, '$1/*#__PURE__*/ new RegExp(');
  if (code.split('/*#__PURE__*/ new RegExp(').length - 1 !== regExps) throw new Error('a RegExp is built outside a module-level pattern constant');

  // One named export per schema, each typed as a guard of the registry's Static type. The types are
  // imported as types only, so consumers of these declarations load no schema objects at run time.
  const dts = [
    HEADER.trimEnd(),
    "import type { Validator } from '../issues.js';",
    "import type { SchemaType } from '../registry.js';",
    ...names.map((name) => `export declare const ${name}: Validator<SchemaType<'${name}'>>;`),
    '',
  ].join('\n');
  return { js: `${HEADER}${code.trimEnd()}\n`, dts };
}
