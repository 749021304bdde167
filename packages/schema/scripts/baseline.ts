/*
 * `npm run baseline`: at a release, freeze the current bundle as the baseline of PROTOCOL_VERSION
 * (baseline/<MAJOR.MINOR>/protocol.schema.json). The compatibility test compares with the newest
 * baseline. An existing baseline is never overwritten: a released version does not change.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROTOCOL_VERSION } from '../src/version.js';
import { PACKAGE_DIR } from './gen.js';

const bundle = readFileSync(join(PACKAGE_DIR, 'generated', 'protocol.schema.json'), 'utf8');
const target = join(PACKAGE_DIR, 'baseline', PROTOCOL_VERSION, 'protocol.schema.json');
if (existsSync(target)) {
  const same = readFileSync(target, 'utf8') === bundle;
  console.error(
    same
      ? `baseline ${PROTOCOL_VERSION} is already the current bundle`
      : `baseline ${PROTOCOL_VERSION} exists and differs: bump PROTOCOL_VERSION to release a new baseline`,
  );
  process.exit(same ? 0 : 1);
}
mkdirSync(join(PACKAGE_DIR, 'baseline', PROTOCOL_VERSION), { recursive: true });
writeFileSync(target, bundle);
