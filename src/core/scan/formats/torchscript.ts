/**
 * TorchScript archives carry their program as Python-like source (`code/__torch__/**.py`) that
 * `torch.jit.load` compiles; methods named `__setstate__` run while loading. This reads that
 * source (a linear tokenizer: comments, strings, indentation, dotted calls) and names what runs on
 * load or reaches files, processes and native code.
 */
import type { FormatProblem } from './safetensors.ts';

/** Operators that read or write files, load code or call outside the graph. */
const IO_CALL =
  /^(?:torch\.)?(?:from_file|save|load|_save_for_mobile|_load_for_mobile|_C\._.*|hub\..*|jit\.load|jit\.save|classes\..*|distributed\.rpc\..*|package\..*)$/;
/** `torch.ops.NS.op`: any namespace but the built-in ones runs native code a library registered. */
const BUILTIN_OPS = new Set(['aten', 'prim', 'quantized', '_quantized', 'profiler', 'cuda']);
/** aten operators that touch files, as they appear in serialized code or mobile bytecode. */
const ATEN_IO = /(?:aten::|ops\.aten\.)(from_file|save|load|_save_for_mobile|_load_for_mobile)\b/g;
const LOAD_HOOKS = new Set(['__setstate__', '__getstate__']);

export interface TorchScriptProblem extends FormatProblem {
  line: number;
}

/** Findings on one TorchScript source file: load hooks and file/process/native operators, each once per name. */
export function checkTorchScriptCode(text: string): TorchScriptProblem[] {
  const problems: TorchScriptProblem[] = [];
  const seen = new Set<string>();
  const add = (key: string, offset: number, line: number, message: string) => {
    if (seen.has(key) || problems.length >= 50) return;
    seen.add(key);
    problems.push({ offset, line, message, rule: 'scan/torchscript-code', severity: 'error' });
  };
  const defs: { name: string; indent: number }[] = [];
  let line = 1;
  let lineStart = true;
  let indent = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      line++;
      lineStart = true;
      indent = 0;
      i++;
      continue;
    }
    if (lineStart && (c === 32 || c === 9)) {
      indent++;
      i++;
      continue;
    }
    if (c === 35) {
      while (i < n && text.charCodeAt(i) !== 10) i++;
      continue;
    } // comment
    if (c === 34 || c === 39) {
      // string, triple-quoted or not
      const q = text[i];
      const triple = text.startsWith(q.repeat(3), i);
      const end = triple ? q.repeat(3) : q;
      i += end.length;
      while (i < n && !text.startsWith(end, i)) {
        const d = text.charCodeAt(i);
        if (d === 92) i++;
        else if (d === 10) {
          line++;
          if (!triple) break;
        }
        i++;
      }
      i += end.length;
      lineStart = false;
      continue;
    }
    if (lineStart) {
      lineStart = false;
      while (defs.length && defs[defs.length - 1].indent >= indent) defs.pop();
    }
    if (isIdentStart(c)) {
      const start = i;
      while (
        i < n &&
        (isIdentPart(text.charCodeAt(i)) ||
          (text.charCodeAt(i) === 46 && i + 1 < n && isIdentStart(text.charCodeAt(i + 1))))
      )
        i++;
      const word = text.slice(start, i);
      if (word === 'def') {
        let j = i;
        while (j < n && (text.charCodeAt(j) === 32 || text.charCodeAt(j) === 9)) j++;
        const s = j;
        while (j < n && isIdentPart(text.charCodeAt(j))) j++;
        const name = text.slice(s, j);
        defs.push({ name, indent });
        if (LOAD_HOOKS.has(name))
          add(
            `def:${name}`,
            start,
            line,
            `defines ${name}: torch.jit.load runs it while loading the module, before any input is given`,
          );
        i = j;
        continue;
      }
      let j = i;
      while (j < n && (text.charCodeAt(j) === 32 || text.charCodeAt(j) === 9)) j++;
      if (text.charCodeAt(j) === 40) {
        const inHook = defs.find((d) => LOAD_HOOKS.has(d.name));
        const where = inHook ? ` in ${inHook.name} (runs on load)` : '';
        const ops = /^(?:torch\.)?ops\.([A-Za-z_]\w*)\./.exec(word);
        if (ops && !BUILTIN_OPS.has(ops[1]))
          add(
            `call:${word}`,
            start,
            line,
            `calls ${word}${where}: a custom operator runs native code a library registered in the loading process`,
          );
        else if (/^torch\./.test(word) && IO_CALL.test(word))
          add(
            `call:${word}`,
            start,
            line,
            `calls ${word}${where}: it reads or writes files or loads code outside the model graph`,
          );
      }
      continue;
    }
    i++;
  }
  for (const m of text.matchAll(ATEN_IO)) {
    const at = m.index ?? 0;
    add(`aten:${m[1]}`, at, 1 + (text.slice(0, at).match(/\n/g)?.length ?? 0), `uses the file operator aten::${m[1]}`);
  }
  return problems;
}

/** Operator names in a mobile bytecode pickle (`bytecode.pkl`): its strings list `aten::…` operators. */
export function checkTorchScriptBytecode(bytes: Buffer): TorchScriptProblem[] {
  const text = bytes.toString('latin1');
  const problems: TorchScriptProblem[] = [];
  const seen = new Set<string>();
  for (const m of text.matchAll(ATEN_IO)) {
    if (seen.has(m[1])) continue;
    seen.add(m[1]);
    problems.push({
      offset: m.index ?? 0,
      line: 0,
      rule: 'scan/torchscript-code',
      severity: 'error',
      message: `the bytecode calls the file operator aten::${m[1]}`,
    });
  }
  return problems;
}

function isIdentStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c > 127;
}

function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}
