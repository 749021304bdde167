/*
 * `npm run gen:check`: regenerate, then fail when a generated file differed from its sources (a hand
 * edit, or a schema change without `npm run gen`), differs from what git has, or is not committed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GENERATED_DIRS, GENERATED_PATHS, PACKAGE_DIR, generate, writeGenerated } from './gen.js';

const problems: string[] = [];
const fresh = generate();
for (const path of GENERATED_PATHS) {
  const file = join(PACKAGE_DIR, path);
  const onDisk = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  if (onDisk !== fresh[path]) problems.push(`${path}: ${onDisk === undefined ? 'missing' : 'out of date or edited by hand'} (regenerated now)`);
}
writeGenerated(fresh);

const git = (args: string[]): string => execFileSync('git', args, { cwd: PACKAGE_DIR, encoding: 'utf8' }).trim();
const scope = [...GENERATED_PATHS, ...GENERATED_DIRS];
const untracked = git(['ls-files', '--others', '--exclude-standard', '--', ...scope]);
if (untracked) problems.push(`not committed:\n${untracked}`);
try {
  execFileSync('git', ['diff', '--exit-code', '--stat', 'HEAD', '--', ...scope], { cwd: PACKAGE_DIR, stdio: 'inherit' });
} catch {
  problems.push('generated files differ from the committed ones (git diff HEAD above)');
}

if (problems.length) {
  console.error(`gen:check failed:\n- ${problems.join('\n- ')}\nRun \`npm run gen\` and commit the result; never edit generated files by hand.`);
  process.exit(1);
}
