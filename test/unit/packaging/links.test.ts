/**
 * The documentation's links: every relative link of README, CONTRIBUTING, CHANGELOG and docs/
 * names a file of the repository (and a heading of it, for `#anchors`), and what the packaged
 * pages link is in the .vsix (the package keeps links relative, so the extension page loads them
 * from the package). The walkthrough's media are packaged too.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { REPO } from '../helpers.ts';
import { shipped } from './vsix.ts';

const PAGES = [
  'README.md',
  'CONTRIBUTING.md',
  'CHANGELOG.md',
  ...fs
    .readdirSync(path.join(REPO, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** Files of the repository: git's list when this is a checkout (an ignored or untracked file is not in the repository), else the disk. */
const tracked: Set<string> | undefined = (() => {
  const r = spawnSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], {
    cwd: REPO,
    encoding: 'utf8',
  });
  return r.status === 0 ? new Set(r.stdout.split('\n').filter(Boolean)) : undefined;
})();
const inRepository = (rel: string) =>
  tracked ? tracked.has(rel) || [...tracked].some((t) => t.startsWith(`${rel}/`)) : fs.existsSync(path.join(REPO, rel));

/** Markdown links and images outside code: [text](target) and ![alt](target). */
function links(markdown: string): { target: string; image: boolean }[] {
  const out: { target: string; image: boolean }[] = [];
  let fence = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) {
      fence = !fence;
      continue;
    }
    if (fence) continue;
    const prose = line.replace(/`[^`]*`/g, '');
    for (const m of prose.matchAll(/(!?)\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g))
      out.push({ target: m[2], image: m[1] === '!' });
    for (const m of prose.matchAll(/<img[^>]*\ssrc="([^"]+)"/g)) out.push({ target: m[1], image: true });
  }
  return out;
}

/** GitHub's heading anchors. */
function anchors(markdown: string): Set<string> {
  const out = new Set<string>();
  let fence = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) {
      fence = !fence;
      continue;
    }
    const m = !fence && /^#{1,6} (.*)$/.exec(line);
    if (!m) continue;
    const base = m[1]
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}_\- ]/gu, '')
      .replace(/ /g, '-');
    let slug = base;
    for (let i = 1; out.has(slug); i++) slug = `${base}-${i}`;
    out.add(slug);
  }
  return out;
}

test('every relative link of the documentation names a file of the repository and a heading of it', () => {
  const broken: string[] = [];
  let checked = 0;
  for (const page of PAGES) {
    const text = fs.readFileSync(path.join(REPO, page), 'utf8');
    for (const { target } of links(text)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, command:, mailto:
      checked++;
      const [file, anchor] = target.split('#') as [string, string | undefined];
      const rel = file
        ? path.posix.normalize(path.posix.join(path.posix.dirname(page), decodeURIComponent(file)))
        : page;
      if (rel.startsWith('..') || !inRepository(rel)) {
        broken.push(`${page}: ${target} (no ${rel} in the repository)`);
        continue;
      }
      if (anchor && rel.endsWith('.md') && !anchors(fs.readFileSync(path.join(REPO, rel), 'utf8')).has(anchor))
        broken.push(`${page}: ${target} (no heading #${anchor} in ${rel})`);
    }
  }
  assert.ok(checked > 40, `${checked} links checked`);
  assert.deepEqual(broken, []);
});

test("what the packaged pages link is in the package: README's screenshots load from the .vsix", () => {
  const missing: string[] = [];
  const packagedPages = PAGES.filter((p) => shipped(p));
  assert.ok(packagedPages.includes('README.md') && packagedPages.includes('docs/rules.md'));
  let images = 0;
  for (const page of packagedPages) {
    for (const { target, image } of links(fs.readFileSync(path.join(REPO, page), 'utf8'))) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) {
        // an image from the web does not load offline, and the Marketplace refuses http images
        if (image) missing.push(`${page}: image ${target} is not in the package`);
        continue;
      }
      const file = target.split('#')[0];
      if (!file) continue;
      if (image) images++;
      const rel = path.posix.normalize(path.posix.join(path.posix.dirname(page), decodeURIComponent(file)));
      if (!shipped(rel)) missing.push(`${page}: ${target} (${rel} is not in the .vsix: add it to .vscodeignore)`);
    }
  }
  assert.ok(images >= 2, 'README shows screenshots');
  assert.deepEqual(missing, []);
});

test('the Get Started walkthrough is contributed with its media in the package', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as {
    contributes: {
      walkthroughs?: { id: string; steps: { id: string; media: { image?: string; markdown?: string } }[] }[];
    };
  };
  const [walk] = pkg.contributes.walkthroughs ?? [];
  assert.ok(walk && walk.steps.length >= 4, 'a walkthrough with its steps');
  for (const step of walk.steps) {
    const media = step.media.image ?? step.media.markdown;
    assert.ok(media, `${step.id} has media`);
    assert.ok(fs.existsSync(path.join(REPO, media)), `${media} exists`);
    assert.ok(shipped(media), `${media} is in the .vsix`);
  }
});

test("README keeps the two commands, CONTRIBUTING the same, and .ci/run runs README's test command exactly", () => {
  const readme = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');
  const contributing = fs.readFileSync(path.join(REPO, 'CONTRIBUTING.md'), 'utf8');
  const main = 'npm ci && npm run inspect -- examples/sentiment-classifier --fail-on never';
  const ci = fs
    .readFileSync(path.join(REPO, '.ci', 'run'), 'utf8')
    .trim()
    .split('\n')
    .pop()!;
  assert.match(ci, /^npm ci && /);
  for (const [name, text] of [
    ['README.md', readme],
    ['CONTRIBUTING.md', contributing],
  ] as const) {
    assert.ok(text.includes(`\n${main}\n`), `${name} has the main job's command`);
    assert.ok(text.includes(`\n${ci}\n`), `${name} has .ci/run's command: ${ci}`);
  }
  // the extension page is for users: building and debugging the extension is CONTRIBUTING's
  for (const dev of ['F5', 'Extension Development Host', 'npm run watch', 'npm run package', 'test:electron'])
    assert.ok(!readme.includes(dev), `README.md does not explain development (${dev})`);
});
