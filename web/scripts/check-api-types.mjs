// Fails when src/api/schema.d.ts is not what openapi-typescript generates from docs/openapi.json
// (the API changed and the app's types were not regenerated: run `npm run gen:api` in web/).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'api-types-'));
try {
  const fresh = join(dir, 'schema.d.ts');
  execFileSync('npx', ['--no-install', 'openapi-typescript', '../docs/openapi.json', '-o', fresh],
    { stdio: ['ignore', 'ignore', 'inherit'] });
  const committed = readFileSync('src/api/schema.d.ts', 'utf8');
  if (readFileSync(fresh, 'utf8') !== committed) {
    console.error('web/src/api/schema.d.ts is out of date with docs/openapi.json: run `npm run gen:api` in web/ and commit it.');
    process.exit(1);
  }
  console.log('web: API types match docs/openapi.json');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
