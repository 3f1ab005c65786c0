import type { FormatProblem } from './safetensors.ts';

const SAFE_MODULE = /^(keras|tensorflow|tf_keras|tf|numpy|math|builtins)(\.|$)/;
const GADGETS = /\b(get_file|TorchModuleWrapper|exec|eval|os\.system|subprocess|__import__)\b/;

/**
 * Walk a Keras model config (Keras v3 `config.json`, or an H5 file's `model_config` attribute)
 * for code hooks: Lambda/TFOpLambda layers, modules outside Keras/TensorFlow/NumPy, registered
 * custom objects and known gadgets (CVE-2025-1550, CVE-2025-8747, CVE-2025-49655).
 */
export function checkKerasConfig(json: string, baseOffset: number): FormatProblem[] {
  const problems: FormatProblem[] = [];
  let cfg: unknown;
  try {
    cfg = JSON.parse(json);
  } catch (e) {
    return [
      {
        offset: baseOffset,
        message: `Keras config is not valid JSON: ${(e as Error).message}`,
        rule: 'scan/incomplete',
      },
    ];
  }
  const at = (needle: string): number => baseOffset + Math.max(0, json.indexOf(needle));
  let nodes = 0;
  const seen = new Set<string>();
  const visit = (v: unknown, depth: number): void => {
    if (depth > 200 || ++nodes > 1_000_000 || problems.length > 200) return;
    if (Array.isArray(v)) {
      for (const x of v) visit(x, depth + 1);
      return;
    }
    if (typeof v !== 'object' || v === null) return;
    const o = v as Record<string, unknown>;
    const cls = typeof o.class_name === 'string' ? o.class_name : undefined;
    const name =
      typeof (o.config as Record<string, unknown> | undefined)?.name === 'string'
        ? String((o.config as Record<string, unknown>).name)
        : cls;
    if (cls === 'Lambda' || cls === 'TFOpLambda') {
      const fn = (o.config as Record<string, unknown> | undefined)?.function;
      const kind =
        typeof fn === 'object' && fn !== null && (fn as Record<string, unknown>).class_name === '__lambda__'
          ? 'serialized Python bytecode'
          : typeof fn === 'string'
            ? `function ${JSON.stringify(fn.slice(0, 60))}`
            : 'a Python function';
      problems.push({
        offset: at(`"${cls}"`),
        rule: 'scan/keras-lambda',
        severity: 'error',
        message: `layer ${JSON.stringify(name)} is a ${cls} layer carrying ${kind}; loading the model with safe_mode=False (or any Keras 2 H5 load) runs it`,
      });
    }
    for (const key of ['module', 'fn_module']) {
      const m = o[key];
      if (typeof m === 'string' && !SAFE_MODULE.test(m) && !seen.has(`${key}:${m}`)) {
        seen.add(`${key}:${m}`);
        problems.push({
          offset: at(`"${m}"`),
          rule: 'scan/keras-foreign-module',
          message: `${key} ${JSON.stringify(m)} (${cls ?? 'object'} ${JSON.stringify(name)}) is outside keras/tensorflow/numpy: deserializing imports it`,
        });
      }
    }
    if (
      typeof o.registered_name === 'string' &&
      cls &&
      o.registered_name !== cls &&
      !seen.has(`reg:${o.registered_name}`)
    ) {
      seen.add(`reg:${o.registered_name}`);
      problems.push({
        offset: at(`"${o.registered_name}"`),
        rule: 'scan/keras-foreign-module',
        message: `custom object ${JSON.stringify(o.registered_name)}: its code comes from whatever is registered under that name when loading`,
      });
    }
    for (const [k, x] of Object.entries(o)) {
      if (
        typeof x === 'string' &&
        GADGETS.test(x) &&
        (k === 'function' || k === 'class_name' || k === 'module' || k === 'fn' || k === 'registered_name') &&
        !seen.has(`g:${x}`)
      ) {
        seen.add(`g:${x}`);
        problems.push({
          offset: at(`"${x}"`),
          rule: 'scan/keras-foreign-module',
          message: `${k} ${JSON.stringify(x.slice(0, 60))} names a known Keras deserialization gadget`,
        });
      }
      visit(x, depth + 1);
    }
  };
  visit(cfg, 0);
  return problems;
}

/**
 * Find the `model_config` JSON in an HDF5 file without an HDF5 parser: Keras stores it as a
 * string attribute whose value starts with `{"class_name"`. Scans the first `window` bytes.
 */
export function findH5ModelConfig(bytes: Buffer): { json: string; offset: number }[] {
  const out: { json: string; offset: number }[] = [];
  const needle = Buffer.from('{"class_name"', 'latin1');
  let from = 0;
  while (out.length < 8) {
    const i = bytes.indexOf(needle, from);
    if (i < 0) break;
    // The attribute value is NUL-terminated or padded; take the balanced JSON object.
    let depth = 0;
    let inStr = false;
    let end = -1;
    for (let j = i; j < bytes.length; j++) {
      const c = bytes[j];
      if (inStr) {
        if (c === 0x5c) j++;
        else if (c === 0x22) inStr = false;
        continue;
      }
      if (c === 0x22) inStr = true;
      else if (c === 0x7b) depth++;
      else if (c === 0x7d && --depth === 0) {
        end = j + 1;
        break;
      } else if (c === 0) break;
    }
    if (end < 0) {
      from = i + 1;
      continue;
    }
    out.push({ json: bytes.toString('utf8', i, end), offset: i });
    from = end;
  }
  return out;
}

/**
 * `TorchModuleWrapper` layers keep their whole torch module as `config.module`: the base64 of a
 * `torch.save`, which Keras 3.11.0–3.11.2 load with `torch.load(weights_only=False)`. Returns each
 * decoded payload, for the scanner to scan as nested content.
 */
export function kerasTorchModules(json: string, baseOffset: number): { name: string; offset: number; data: Buffer }[] {
  let cfg: unknown;
  try {
    cfg = JSON.parse(json);
  } catch {
    return [];
  }
  const out: { name: string; offset: number; data: Buffer }[] = [];
  let nodes = 0;
  const visit = (v: unknown, depth: number): void => {
    if (depth > 200 || ++nodes > 1_000_000 || out.length >= 100) return;
    if (Array.isArray(v)) {
      for (const x of v) visit(x, depth + 1);
      return;
    }
    if (typeof v !== 'object' || v === null) return;
    const o = v as Record<string, unknown>;
    const config = o.config as Record<string, unknown> | undefined;
    if (
      (o.class_name === 'TorchModuleWrapper' || o.registered_name === 'TorchModuleWrapper') &&
      typeof config?.module === 'string'
    ) {
      const b64 = config.module.replace(/\s+/g, '');
      if (/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) {
        const name = typeof config.name === 'string' ? config.name : 'TorchModuleWrapper';
        out.push({
          name,
          offset: baseOffset + Math.max(0, json.indexOf(config.module.slice(0, 32))),
          data: Buffer.from(b64, 'base64'),
        });
      }
    }
    for (const x of Object.values(o)) visit(x, depth + 1);
  };
  visit(cfg, 0);
  return out;
}
