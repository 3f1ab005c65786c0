import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { REPO } from '../helpers.ts';

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? tsFiles(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

test('no file under src/core imports vscode (the engine stays pure)', () => {
  const offenders = tsFiles(path.join(REPO, 'src', 'core')).filter((f) =>
    /(?:from\s+['"]vscode['"]|require\(\s*['"]vscode['"]\s*\)|import\(\s*['"]vscode['"]\s*\))/.test(
      fs.readFileSync(f, 'utf8'),
    ),
  );
  assert.deepEqual(
    offenders.map((f) => path.relative(REPO, f)),
    [],
  );
});

test('src/cli does not import vscode either', () => {
  const offenders = tsFiles(path.join(REPO, 'src', 'cli')).filter((f) =>
    /['"]vscode['"]/.test(fs.readFileSync(f, 'utf8')),
  );
  assert.deepEqual(offenders, []);
});

test('the engine never runs a shell', () => {
  const offenders = tsFiles(path.join(REPO, 'src')).filter((f) => {
    const s = fs.readFileSync(f, 'utf8');
    return (
      /\bshell\s*:\s*true\b/.test(s) ||
      /\bexecSync\s*\(|\bexec\s*\(\s*[`'"]/.test(s) ||
      (/child_process['"]\)?\s*;?\s*[\s\S]*\bexec\b\(/.test(s) && /\{\s*exec\s*[,}]/.test(s))
    );
  });
  assert.deepEqual(
    offenders.map((f) => path.relative(REPO, f)),
    [],
  );
});

test('activation is never "*" and every command has a category', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
  assert.ok(!pkg.activationEvents.includes('*'));
  assert.ok(!pkg.activationEvents.includes('onStartupFinished'));
  for (const c of pkg.contributes.commands) assert.ok(c.category, `${c.command} has a category`);
});
