// What the committed bin shims of the workspace packages share: run a package's built CLI, and in
// a fresh clone where nothing is built yet, build the workspace first (once) instead of failing.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * @param {string} name the bin's name, for messages
 * @param {string} workspace the package to build (with what it depends on), e.g. @agent-gateway/server
 * @param {URL} cli the built CLI (dist/cli.js of the package)
 */
export async function runBuiltCli(name, workspace, cli) {
  if (!existsSync(cli)) {
    const root = fileURLToPath(new URL('..', import.meta.url));
    if (!existsSync(new URL('../turbo.json', import.meta.url))) {
      process.stderr.write(`${name}: ${fileURLToPath(cli)} is missing; build the package first (npm run build).\n`);
      process.exit(1);
    }
    process.stderr.write(`${name}: not built yet; building ${workspace} and what it needs first (once)...\n`);
    // Build output goes to stderr: stdout stays the CLI's own.
    const built = spawnSync('npx', ['turbo', 'run', 'build', `--filter=${workspace}...`, '--output-logs=errors-only'], {
      cwd: root,
      stdio: ['ignore', process.stderr, 'inherit'],
      env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
    });
    if (built.status !== 0 || !existsSync(cli)) {
      process.stderr.write(`${name}: the build failed; run \`npm run build\` at ${root} and look at its errors.\n`);
      process.exit(1);
    }
  }
  await import(cli.href);
}
