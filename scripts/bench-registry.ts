// Registry benchmarks (issue "Models in OCI registries"), each against a baseline measured in the
// same run on the same local registry (Debian's docker-registry, started here on 127.0.0.1):
//   pull+scan  `model-inspect scan REF` of a 1 GiB ModelPack artifact (a safetensors weight layer):
//              download, size and digest check, scan; baseline: `curl` fetching the same blobs
//              (manifest, config, layer) to /dev/null. Goal: within 1.5×, peak RSS under 250 MB.
//   registry scan  `model-inspect registry scan` of 1,000 signed tags; baseline: the same HTTP
//              requests (tag HEAD, .sig manifest and payload, .att, referrers and their fallback)
//              made by a bare keep-alive HTTP loop at the same concurrency. Goal: under 30 s.
// Each subject runs in its own process; its peak RSS is read by a preload at exit.
// Run alone: `node --import tsx scripts/bench-registry.ts [MiB] [TAGS]`; `npm run bench -- registry`.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { RegistryClient, sha256Digest } from '../src/core/registry/client.ts';
import { pushArtifact } from '../src/core/registry/push.ts';
import { MODELPACK_CONFIG, MODELPACK_MANIFEST } from '../src/core/registry/packaging.ts';
import { mapLimit } from '../src/core/registry/scanRepository.ts';
import { signReference } from '../src/core/registry/sign.ts';
import { registrySkip, startRegistry } from '../test/unit/registry/realRegistry.ts';
import type { BenchLine } from './bench-convert.ts';

const MiB = 1024 * 1024;
const ROOT = path.resolve(import.meta.dirname, '..');

function peakPreload(dir: string): string {
  const file = path.join(dir, 'peak.cjs');
  fs.writeFileSync(
    file,
    "process.on('exit', () => { try { require('fs').writeFileSync(process.env.BENCH_PEAK_FILE, String(process.resourceUsage().maxRSS)); } catch {} });\n",
  );
  return file;
}

function timed(
  cmd: string,
  args: string[],
  env: Record<string, string> = {},
): { ms: number; status: number; stdout: string; stderr: string } {
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    maxBuffer: 256 * MiB,
    env: { ...process.env, NO_COLOR: '1', ...env },
  });
  return { ms: Number(process.hrtime.bigint() - t) / 1e6, status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function runCli(
  dir: string,
  args: string[],
): { ms: number; peakMiB: number; status: number; stdout: string; stderr: string } {
  const peakFile = path.join(dir, `peak-${Math.random().toString(36).slice(2)}`);
  const r = timed(process.execPath, ['--require', peakPreload(dir), path.join(ROOT, 'dist', 'cli.js'), ...args], {
    BENCH_PEAK_FILE: peakFile,
  });
  const kib = fs.existsSync(peakFile) ? Number(fs.readFileSync(peakFile, 'utf8')) : NaN;
  return { ...r, peakMiB: kib / 1024 };
}

/** A safetensors file of about `mib` MiB (one U8 tensor), written in 4 MiB chunks; returns its digest. */
function writeSafetensors(file: string, mib: number): { digest: string; size: number } {
  const dataBytes = mib * MiB;
  const header = Buffer.from(
    JSON.stringify({ weight: { dtype: 'U8', shape: [dataBytes], data_offsets: [0, dataBytes] } }),
  );
  const pad = Buffer.alloc((8 - (header.length % 8)) % 8, 0x20);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(header.length + pad.length));
  const hash = crypto.createHash('sha256');
  const fd = fs.openSync(file, 'w');
  const write = (b: Buffer) => {
    fs.writeSync(fd, b);
    hash.update(b);
  };
  write(len);
  write(header);
  write(pad);
  const block = crypto.randomBytes(4 * MiB);
  for (let done = 0; done < dataBytes; done += block.length) {
    block.writeUInt32LE(done / block.length, 0);
    write(block.subarray(0, Math.min(block.length, dataBytes - done)));
  }
  fs.closeSync(fd);
  return { digest: `sha256:${hash.digest('hex')}`, size: fs.statSync(file).size };
}

/** The requests a registry-scan of one tag needs at least, on a bare keep-alive agent. */
async function bareRequests(host: string, repo: string, tags: string[], concurrency: number): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const req = (method: string, p: string, accept?: string) =>
    new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      const r = http.request(
        {
          host: host.split(':')[0],
          port: Number(host.split(':')[1]),
          method,
          path: p,
          agent,
          headers: accept ? { accept } : {},
        },
        (res) => {
          const parts: Buffer[] = [];
          res.on('data', (c: Buffer) => parts.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }),
          );
        },
      );
      r.on('error', reject);
      r.end();
    });
  const mt = 'application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json';
  const t = process.hrtime.bigint();
  await req('GET', `/v2/${repo}/tags/list?n=10000`);
  await mapLimit(tags, concurrency, async (tag) => {
    const head = await req('HEAD', `/v2/${repo}/manifests/${tag}`, mt);
    const d = String(head.headers['docker-content-digest']);
    await req('GET', `/v2/${repo}/manifests/${d}`, mt);
    const sig = await req('GET', `/v2/${repo}/manifests/${d.replace(':', '-')}.sig`, mt);
    const m = JSON.parse(sig.body.toString()) as { layers: { digest: string }[] };
    for (const l of m.layers) await req('GET', `/v2/${repo}/blobs/${l.digest}`);
    await req('GET', `/v2/${repo}/manifests/${d.replace(':', '-')}.att`, mt);
    await req('GET', `/v2/${repo}/referrers/${d}`, mt);
    await req('GET', `/v2/${repo}/manifests/${d.replace(':', '-')}`, mt);
  });
  agent.destroy();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

export async function registryBenchmarks(mib = 1024, tagCount = 1000): Promise<BenchLine[]> {
  const skip = registrySkip();
  if (skip) {
    console.log(`registry benchmarks skipped: ${skip}`);
    return [];
  }
  if (!fs.existsSync(path.join(ROOT, 'dist', 'cli.js'))) throw new Error('build first (npm run build)');
  const curl = spawnSync('curl', ['--version']).status === 0;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-inspect-bench-registry-'));
  const reg = await startRegistry();
  const client = new RegistryClient({ retryBaseMs: 10 });
  const lines: BenchLine[] = [];
  try {
    // ---- pull + scan of a large artifact ----
    const weights = path.join(dir, 'model.safetensors');
    const w = writeSafetensors(weights, mib);
    const config = Buffer.from(JSON.stringify({ descriptor: { name: 'bench' }, config: { format: 'safetensors' } }));
    const pushed = await pushArtifact(client, reg.host, 'models/bench', 'v1', {
      artifactType: MODELPACK_MANIFEST,
      configMediaType: MODELPACK_CONFIG,
      config,
      layers: [
        {
          mediaType: 'application/vnd.cncf.model.weight.v1.raw',
          stream: {
            digest: w.digest,
            size: w.size,
            body: { size: w.size, open: () => fs.createReadStream(weights, { highWaterMark: 4 * MiB }) },
          },
          annotations: { 'org.cncf.model.filepath': 'model.safetensors' },
        },
      ],
    });
    fs.rmSync(weights);
    const ref = `${reg.host}/models/bench@${pushed.digest}`;
    const base = `http://${reg.host}/v2/models/bench`;
    const curlOnce = () =>
      timed('curl', [
        '-sf',
        '-o',
        '/dev/null',
        '-o',
        '/dev/null',
        '-o',
        '/dev/null',
        '-H',
        'Accept: application/vnd.oci.image.manifest.v1+json',
        `${base}/manifests/${pushed.digest}`,
        `${base}/blobs/${sha256Digest(config)}`,
        `${base}/blobs/${w.digest}`,
      ]);
    const scanOnce = () => runCli(dir, ['scan', ref, '--format', 'json']);
    const first = scanOnce();
    const j = JSON.parse(first.stdout) as {
      complete: boolean;
      files: { format: string }[];
      manifests: { layers: { verified: boolean }[] }[];
    };
    if (first.status !== 0 || !j.complete || !j.manifests[0].layers[0].verified || j.files[0]?.format !== 'safetensors')
      throw new Error(`scan REF did not pull and scan the artifact: ${first.stderr.slice(-500)}`);
    // Where the time goes: node's own HTTP client reading the same blob in a fresh process, no hash, no scan.
    const nodeOnce = () =>
      timed(process.execPath, [
        '-e',
        `require('http').get(${JSON.stringify(`${base}/blobs/${w.digest}`)}, (r) => { r.on('data', () => {}); })`,
      ]);
    const subj: number[] = [first.ms];
    const peaks: number[] = [first.peakMiB];
    const basel: number[] = [];
    const nodeRaw: number[] = [];
    for (let i = 0; i < 2; i++) {
      if (curl) basel.push(curlOnce().ms);
      nodeRaw.push(nodeOnce().ms);
      const s = scanOnce();
      subj.push(s.ms);
      peaks.push(s.peakMiB);
    }
    const subjectMs = Math.min(...subj);
    const peak = Math.max(...peaks);
    lines.push({
      name: `registry: scan REF, ${mib} MiB ModelPack artifact (pull, digest check, scan)`,
      value: subjectMs / 1000,
      unit: 's',
    });
    if (curl) {
      const baselineMs = Math.min(...basel);
      const ratio = subjectMs / baselineMs;
      lines.push({
        name: 'registry: curl of the same blobs to /dev/null (baseline)',
        value: baselineMs / 1000,
        unit: 's',
      });
      lines.push({ name: 'registry: pull+scan / curl', value: ratio, unit: '×', goal: '≤ 1.5×', ok: ratio <= 1.5 });
    } else lines.push({ name: 'registry: curl not installed; no baseline', value: NaN, unit: '' });
    lines.push({
      name: "registry: node's HTTP client alone reading the layer (no hash, no scan)",
      value: Math.min(...nodeRaw) / 1000,
      unit: 's',
    });
    lines.push({
      name: 'registry: pull+scan / node HTTP client alone',
      value: subjectMs / Math.min(...nodeRaw),
      unit: '×',
    });
    lines.push({
      name: 'registry: peak RSS of scan REF',
      value: peak,
      unit: 'MiB',
      goal: '< 250 MB (238 MiB)',
      ok: peak * MiB < 250e6,
    });

    // ---- registry scan of many signed tags ----
    const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pub = path.join(dir, 'bench.pub');
    fs.writeFileSync(pub, publicKey.export({ type: 'spki', format: 'pem' }) as string);
    const tags = Array.from({ length: tagCount }, (_, i) => `v1.${i}`);
    const layer = Buffer.alloc(1024, 7);
    await mapLimit(tags, 8, async (tag) => {
      const p = await pushArtifact(client, reg.host, 'models/many', tag, {
        configMediaType: MODELPACK_CONFIG,
        config: Buffer.from(JSON.stringify({ tag })),
        layers: [{ mediaType: 'application/vnd.cncf.model.weight.v1.raw', bytes: layer }],
      });
      await signReference(client, `${reg.host}/models/many@${p.digest}`, { signer: { kind: 'key', key: privateKey } });
    });
    const scanArgs = ['registry', 'scan', `${reg.host}/models/many`, '--key', pub, '--format', 'json'];
    const rs: { ms: number; peakMiB: number }[] = [];
    const bare: number[] = [];
    for (let i = 0; i < 2; i++) {
      bare.push(await bareRequests(reg.host, 'models/many', tags, 8));
      const r = runCli(dir, scanArgs);
      const out = JSON.parse(r.stdout) as { tags: { ok: boolean }[] };
      if (r.status !== 0 || out.tags.length !== tagCount || !out.tags.every((t) => t.ok))
        throw new Error(`registry scan did not verify every tag: ${r.stderr.slice(-500)}`);
      rs.push(r);
    }
    const scanMs = Math.min(...rs.map((r) => r.ms));
    const bareMs = Math.min(...bare);
    lines.push({
      name: `registry: registry scan of ${tagCount} signed tags (whole process)`,
      value: scanMs / 1000,
      unit: 's',
      goal: '< 30 s',
      ok: scanMs < 30_000,
    });
    lines.push({ name: 'registry: the same requests on a bare HTTP loop (baseline)', value: bareMs / 1000, unit: 's' });
    lines.push({ name: 'registry: registry scan / bare requests', value: scanMs / bareMs, unit: '×' });
    lines.push({
      name: 'registry: peak RSS of registry scan',
      value: Math.max(...rs.map((r) => r.peakMiB)),
      unit: 'MiB',
    });
  } finally {
    client.close();
    await reg.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return lines;
}

export async function runFromBench(json: boolean): Promise<void> {
  const lines = await registryBenchmarks();
  if (json) console.log(JSON.stringify({ registry: lines }, null, 2));
  else
    for (const l of lines)
      console.log(
        `${l.name}: ${Number.isNaN(l.value) ? '-' : l.value.toFixed(l.unit === '×' ? 2 : l.unit === 's' ? 2 : 0)} ${l.unit}${l.goal ? `  (goal ${l.goal}: ${l.ok ? 'met' : 'MISSED'})` : ''}`,
      );
  if (lines.some((l) => l.ok === false)) process.exitCode = 1;
}

if (process.argv[1] && /bench-registry\.ts$/.test(process.argv[1])) {
  const [mib, tags] = process.argv.slice(2).map(Number);
  void registryBenchmarks(mib || 1024, tags || 1000).then((lines) => {
    for (const l of lines)
      console.log(
        `${l.name}: ${Number.isNaN(l.value) ? '-' : l.value.toFixed(2)} ${l.unit}${l.goal ? `  (goal ${l.goal}: ${l.ok ? 'met' : 'MISSED'})` : ''}`,
      );
  });
}
