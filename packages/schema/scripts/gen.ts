/*
 * `npm run gen`: writes every generated artefact of the schema package. Output is a pure function
 * of the sources, so a second run is byte-identical (gen:check relies on it).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildAsyncApi } from './asyncapi.js';
import { buildBundle, toJsonText } from './bundle.js';
import { buildProtocolMarkdown, readLeadingDoc, readPropertyDocs } from './protocol-md.js';
import { buildValidators } from './validators.js';

export const PACKAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Every generated path, relative to the package: gen:check diffs exactly these. */
export const GENERATED_PATHS = [
  'generated/protocol.schema.json',
  'generated/asyncapi.json',
  'PROTOCOL.md',
  'src/generated/validators.js',
  'src/generated/validators.d.ts',
] as const;

/** Folders that hold only generated files: anything untracked there fails gen:check. */
export const GENERATED_DIRS = ['generated', 'src/generated'] as const;

export function generate(): Record<(typeof GENERATED_PATHS)[number], string> {
  const bundle = buildBundle();
  const validators = buildValidators();
  const src = (path: string): string => join(PACKAGE_DIR, path);
  const markdown = buildProtocolMarkdown(
    bundle,
    readFileSync(src('docs/semantics.md'), 'utf8'),
    readPropertyDocs(src('src/error-codes.ts'), 'ErrorCodes'),
    readLeadingDoc(src('src/version.ts')),
    readFileSync(src('docs/versioning.md'), 'utf8'),
  );
  return {
    'generated/protocol.schema.json': toJsonText(bundle),
    'generated/asyncapi.json': toJsonText(buildAsyncApi()),
    'PROTOCOL.md': markdown,
    'src/generated/validators.js': validators.js,
    'src/generated/validators.d.ts': validators.dts,
  };
}

export function writeGenerated(files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    const target = join(PACKAGE_DIR, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, text);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) writeGenerated(generate());
