/*
 * PROTOCOL.md: the human reference, generated from the schema bundle, the registry, the version
 * module, the doc comments of ErrorCodes and the hand-written normative semantics.
 */
import { readFileSync } from 'node:fs';
import ts from 'typescript';
import { ErrorCodes } from '../src/errors.js';
import { Requests, ServerEvents } from '../src/registry.js';
import { PROTOCOL_VERSION, SUPPORTED_VERSIONS } from '../src/version.js';
import { GENERATED_NOTE, type JsonObject, type ProtocolBundle } from './bundle.js';

type Json = JsonObject[string];

/** Doc comment of each property of an exported object literal, keyed by property name. */
export function readPropertyDocs(sourcePath: string, constName: string): Map<string, string> {
  const source = ts.createSourceFile(sourcePath, readFileSync(sourcePath, 'utf8'), ts.ScriptTarget.ES2022, true);
  const docs = new Map<string, string>();
  const visit = (node: ts.Node): void => {
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.name.text === constName && node.initializer) {
      let init: ts.Expression = node.initializer;
      while (ts.isAsExpression(init) || ts.isSatisfiesExpression(init) || ts.isParenthesizedExpression(init)) init = init.expression;
      if (!ts.isObjectLiteralExpression(init)) return;
      for (const prop of init.properties) {
        if (!prop.name || !(ts.isIdentifier(prop.name) || ts.isStringLiteral(prop.name))) continue;
        docs.set(prop.name.text, jsDocText(prop));
      }
      return;
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return docs;
}

function jsDocText(node: ts.Node): string {
  const docs = (node as ts.Node & { jsDoc?: ts.JSDoc[] }).jsDoc ?? [];
  return docs
    .map((doc) => (typeof doc.comment === 'string' ? doc.comment : (ts.getTextOfJSDocComment(doc.comment) ?? '')))
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The leading block comment of a module (the version rules live there). */
export function readLeadingDoc(sourcePath: string): string {
  const text = readFileSync(sourcePath, 'utf8');
  const match = /^\/\*\*([\s\S]*?)\*\//.exec(text);
  if (!match?.[1]) return '';
  const lines = match[1].split('\n').map((line) => line.replace(/^\s*\* ?/, ''));
  // A plain line right after a list would render as part of its last item: separate it.
  const out: string[] = [];
  let inList = false;
  for (const line of lines) {
    if (/^- /.test(line)) inList = true;
    else if (inList && line.trim() !== '' && !/^\s/.test(line)) {
      out.push('');
      inList = false;
    }
    out.push(line);
  }
  return out.join('\n').trim();
}

const anchor = (name: string): string => `schema-${name.toLowerCase()}`;
const link = (name: string): string => `[${name}](#${anchor(name)})`;
const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function refName(schema: JsonObject): string | undefined {
  return typeof schema.$ref === 'string' ? schema.$ref.replace('#/$defs/', '') : undefined;
}

function bounds(schema: JsonObject): string {
  const parts: string[] = [];
  const num = (v: Json): string => (v === Number.MAX_SAFE_INTEGER ? '2^53-1' : String(v));
  if (schema.minimum !== undefined && schema.maximum !== undefined) parts.push(`${num(schema.minimum)}..${num(schema.maximum)}`);
  else if (schema.minimum !== undefined) parts.push(`≥ ${num(schema.minimum)}`);
  else if (schema.maximum !== undefined) parts.push(`≤ ${num(schema.maximum)}`);
  if (schema.minLength !== undefined || schema.maxLength !== undefined) parts.push(`length ${num(schema.minLength ?? 0)}..${num(schema.maxLength ?? '∞')}`);
  if (schema.minItems !== undefined || schema.maxItems !== undefined) parts.push(`${num(schema.minItems ?? 0)}..${num(schema.maxItems ?? '∞')} items`);
  if (typeof schema.pattern === 'string') parts.push(`pattern \`${schema.pattern}\``);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

/** One-line type of a schema, for reference tables. */
export function typeText(schema: Json): string {
  if (
    schema === true ||
    (schema && typeof schema === 'object' && !Array.isArray(schema) && Object.keys(schema).filter((k) => k !== 'description').length === 0)
  )
    return 'any JSON value';
  if (!schema || typeof schema !== 'object' || Array.isArray(schema)) return String(schema);
  const name = refName(schema);
  if (name) return link(name);
  if (schema.const !== undefined) return `\`${JSON.stringify(schema.const)}\``;
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => `\`${JSON.stringify(v)}\``).join(' | ');
  const branches = (schema.anyOf ?? schema.oneOf) as Json[] | undefined;
  if (Array.isArray(branches)) return branches.map((b) => typeText(b)).join(' | ');
  if (schema.type === 'array') return `array of ${typeText(schema.items ?? true)}${bounds(schema)}`;
  if (schema.type === 'object') return typeof schema.title === 'string' ? schema.title : 'object';
  if (schema.type === 'null') return '`null`';
  return `${Array.isArray(schema.type) ? schema.type.join(' | ') : String(schema.type)}${bounds(schema)}`;
}

function describeOf(schema: Json, bundle: ProtocolBundle): string {
  if (!schema || typeof schema !== 'object' || Array.isArray(schema)) return '';
  if (typeof schema.description === 'string') return schema.description;
  const name = refName(schema);
  const target = name ? bundle.$defs[name] : undefined;
  return typeof target?.description === 'string' ? target.description : '';
}

/** Inline (untitled, unreferenced) object schemas are listed field by field under their parent. */
function isInlineObject(schema: Json): schema is JsonObject {
  return (
    !!schema &&
    typeof schema === 'object' &&
    !Array.isArray(schema) &&
    schema.type === 'object' &&
    !refName(schema) &&
    typeof schema.title !== 'string' &&
    !!schema.properties
  );
}

function fieldRows(schema: JsonObject, prefix: string, bundle: ProtocolBundle, rows: string[]): void {
  const properties = (schema.properties ?? {}) as JsonObject;
  const required = new Set((schema.required ?? []) as string[]);
  for (const field of Object.keys(properties)) {
    const prop = properties[field] as Json;
    const name = `${prefix}${field}`;
    const item = prop && typeof prop === 'object' && !Array.isArray(prop) && prop.type === 'array' ? (prop.items as Json) : undefined;
    const type = isInlineObject(prop)
      ? 'object'
      : item !== undefined && isInlineObject(item)
        ? `array of object${bounds(prop as unknown as JsonObject)}`
        : typeText(prop);
    rows.push(`| \`${name}\` | ${cell(type)} | ${required.has(field) ? 'yes' : 'no'} | ${cell(describeOf(prop, bundle))} |`);
    if (isInlineObject(prop)) fieldRows(prop, `${name}.`, bundle, rows);
    else if (item !== undefined && isInlineObject(item)) fieldRows(item, `${name}[].`, bundle, rows);
  }
}

function objectTable(schema: JsonObject, bundle: ProtocolBundle): string[] {
  const properties = (schema.properties ?? {}) as JsonObject;
  if (Object.keys(properties).length === 0) return ['No fields: send an empty object `{}`.', ''];
  const lines = ['| Field | Type | Required | Description |', '| --- | --- | --- | --- |'];
  fieldRows(schema, '', bundle, lines);
  lines.push('');
  if (schema.additionalProperties === false) lines.push('Closed: any other field is rejected (nested objects too).', '');
  return lines;
}

function schemaSection(name: string, schema: JsonObject, bundle: ProtocolBundle): string[] {
  const lines = [`<a id="${anchor(name)}"></a>`, `### ${name}`, ''];
  if (typeof schema.description === 'string') lines.push(schema.description, '');
  const branches = (schema.oneOf ?? schema.anyOf) as Json[] | undefined;
  if (schema.type === 'object' && schema.properties) {
    lines.push(...objectTable(schema, bundle));
  } else if (Array.isArray(branches)) {
    const discriminator = schema.discriminator as JsonObject | undefined;
    lines.push(discriminator ? `One of (discriminated by \`${String(discriminator.propertyName)}\`):` : 'One of:', '');
    branches.forEach((branch, index) => {
      if (branch && typeof branch === 'object' && !Array.isArray(branch) && branch.type === 'object' && !refName(branch)) {
        lines.push(`**Variant ${index + 1}**`, '', ...objectTable(branch, bundle));
      } else lines.push(`- ${typeText(branch)}${describeOf(branch, bundle) ? `: ${describeOf(branch, bundle)}` : ''}`);
    });
    if (!branches.every((b) => b && typeof b === 'object' && !Array.isArray(b) && b.type === 'object' && !refName(b))) lines.push('');
  } else {
    const { title: _title, ...untitled } = schema;
    lines.push(`Type: ${typeText(untitled)}`, '');
  }
  return lines;
}

export function buildProtocolMarkdown(
  bundle: ProtocolBundle,
  semantics: string,
  errorDocs: Map<string, string>,
  versionDoc: string,
  compatRules: string,
): string {
  const out: string[] = [
    `<!-- ${GENERATED_NOTE} -->`,
    '',
    `# Agent Gateway Protocol ${PROTOCOL_VERSION}`,
    '',
    'The wire protocol between AI-agent gateways and their clients: Socket.IO v4 on the default',
    'namespace, JSON messages with camelCase fields, every object closed, unions discriminated by',
    '`type`. Machine-readable forms of this document: `generated/protocol.schema.json` (JSON Schema',
    'draft 2020-12 bundle) and `generated/asyncapi.json` (AsyncAPI 3.0). Test vectors for every',
    'message are in `vectors/`.',
    '',
    '## Versions',
    '',
    `Current version: **${PROTOCOL_VERSION}**; a gateway of this major serves ${SUPPORTED_VERSIONS.min} to ${SUPPORTED_VERSIONS.max}.`,
    '',
    versionDoc,
    '',
    compatRules.trim(),
    '',
    semantics.trimEnd(),
    '',
    '## Requests',
    '',
    'Emitted by the client with one argument and an acknowledgement callback.',
    '',
    '| Request | Params | Acknowledgement | Data when ok | Description |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const [event, entry] of Object.entries(Requests)) {
    out.push(`| \`${event}\` | ${link(entry.params)} | ${link(entry.result)} | ${link(entry.data)} | ${cell(entry.description)} |`);
  }
  out.push('', '## Server events', '', '| Event | Payload | Description |', '| --- | --- | --- |');
  for (const [event, entry] of Object.entries(ServerEvents)) out.push(`| \`${event}\` | ${link(entry.payload)} | ${cell(entry.description)} |`);
  out.push('', `The handshake \`auth\` object is ${link('HandshakeAuth')}.`, '');

  out.push('## Request reference', '');
  for (const [event, entry] of Object.entries(Requests)) {
    const params = bundle.$defs[entry.params];
    out.push(`### Request \`${event}\``, '', entry.description, '');
    if (typeof params?.description === 'string') out.push(params.description, '');
    out.push(
      `- Params: ${link(entry.params)}`,
      `- Acknowledgement: ${link(entry.result)} (\`{ ok: true, data }\` with ${link(entry.data)}, or \`{ ok: false, error }\` with ${link('WireError')})`,
      '',
    );
    if (params?.type === 'object' && params.properties) out.push(...objectTable(params, bundle));
    else out.push(`The params are a union; see ${link(entry.params)} for its members.`, '');
  }
  out.push('## Server event reference', '');
  for (const [event, entry] of Object.entries(ServerEvents)) {
    const payload = bundle.$defs[entry.payload];
    out.push(`### Event \`${event}\``, '', entry.description, '', `- Payload: ${link(entry.payload)}`, '');
    if (typeof payload?.description === 'string') out.push(payload.description, '');
  }

  out.push('## Error codes', '', '| Code | Name | Meaning |', '| --- | --- | --- |');
  for (const [key, code] of Object.entries(ErrorCodes)) {
    const doc = errorDocs.get(key);
    if (!doc) throw new Error(`ErrorCodes.${key} has no doc comment`);
    out.push(`| \`${code}\` | ${key} | ${cell(doc)} |`);
  }
  out.push('', '## Schemas', '');
  for (const [name, schema] of Object.entries(bundle.$defs)) out.push(...schemaSection(name, schema, bundle));
  return `${out
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd()}\n`;
}
