/*
 * `npm run gen:check`: regenerate, then fail when a generated file differs from what is committed
 * (a hand edit, or a schema change without `npm run gen`) or is not committed at all.
 */
import { execFileSync } from 'node:child_process';
import { GENERATED_PATHS, PACKAGE_DIR } from './gen.js';

execFileSync(process.execPath, ['--import', 'tsx', 'scripts/gen.ts'], { cwd: PACKAGE_DIR, stdio: 'inherit' });
const paths = [...GENERATED_PATHS];
const untracked = execFileSync('git', ['ls-files', '--others', '--exclude-standard', '--', ...paths], { cwd: PACKAGE_DIR, encoding: 'utf8' }).trim();
if (untracked) {
  console.error(`gen:check: generated files not committed:\n${untracked}`);
  process.exit(1);
}
try {
  execFileSync('git', ['diff', '--exit-code', '--stat', '--', ...paths], { cwd: PACKAGE_DIR, stdio: 'inherit' });
} catch {
  console.error('gen:check: generated files differ from the sources. Run `npm run gen` and commit the result; never edit them by hand.');
  process.exit(1);
}
