import type { RuleInfo } from '../findings.ts';

const r = (id: string, title: string, defaultSeverity: RuleInfo['defaultSeverity'], help: string): RuleInfo => ({
  id: `scan/${id}`,
  title,
  category: 'scan',
  defaultSeverity,
  help,
});

const LOAD =
  'Loading a pickle (`torch.load(weights_only=False)`, `pickle.load`, `joblib.load`, `np.load(allow_pickle=True)`) runs whatever it imports and calls.';
const FIX =
  'Do not load the file. Get the weights as safetensors (or GGUF) from a trusted source, or convert the checkpoint without unpickling it (`model-inspect convert`), and verify its signature.';

export const SCAN_RULES: readonly RuleInfo[] = [
  r(
    'pickle-dangerous-import',
    'Pickle imports a dangerous function',
    'error',
    `The pickle imports a function or module on the deny list (e.g. \`os.system\`, \`builtins.eval\`, \`subprocess.Popen\`, \`runpy\`, \`socket\`), reaches one through a dotted name (\`pathlib\` + \`os.system\`) or a dunder attribute (\`numpy.__builtins__\`). ${LOAD} No model needs these to load its weights.\n\n**Fix:** ${FIX}`,
  ),
  r(
    'pickle-unsafe-call',
    'Pickle calls a function that is not allowlisted',
    'error',
    `A REDUCE/INST/OBJ opcode calls a function that is neither on the allowlist (PyTorch weights_only set, NumPy reconstruction, plain containers) nor a known-safe class, or calls a value computed while loading (a chained call). Any function call at load time can run code.\n\n**Fix:** if the callable is your own library's, load the file only in an isolated environment; otherwise ${FIX}`,
  ),
  r(
    'pickle-computed-import',
    'Pickle import computed at load time',
    'error',
    `STACK_GLOBAL takes its module and name from the stack. Here they are not literal strings (the result of a call, a missing memo entry, a non-str value), so what gets imported is decided while loading: a classic way to hide \`os.system\` from scanners.\n\n**Fix:** ${FIX}`,
  ),
  r(
    'pickle-ext-opcode',
    'Pickle uses the copyreg extension registry',
    'error',
    `EXT1/EXT2/EXT4 import whatever the loading process registered under a numeric code with \`copyreg.add_extension\`. The file does not say what it imports, so it cannot be checked; normal model files never use it.\n\n**Fix:** ${FIX}`,
  ),
  r(
    'pickle-global-mutation',
    'Pickle modifies an imported module or function',
    'error',
    `BUILD, APPEND(S), SETITEM(S) or ADDITEMS is applied to an imported global (not to a fresh object). That changes attributes of a module or function at load time (attribute poisoning, e.g. replacing \`torch._utils\` helpers), so later, "safe" imports return attacker-chosen objects.\n\n**Fix:** ${FIX}`,
  ),
  r(
    'pickle-frame-violation',
    'Pickle frame boundaries are inconsistent',
    'error',
    `A protocol-4 FRAME announces a length, but an opcode or another FRAME crosses its end. CPython's C and Python unpicklers read such bytes differently, which has been used to hide opcodes from scanners (CPython issue 154848). This scan read every byte linearly; treat the file as crafted.\n\n**Fix:** ${FIX}`,
  ),
  r(
    'pickle-unknown-import',
    'Pickle imports a class that is not allowlisted',
    'warning',
    `The pickle imports or instantiates a class that is neither allowlisted nor on the deny list (typical for scikit-learn, custom \`__main__\` classes, other libraries). Instantiating it runs its \`__new__\`/\`__setstate__\`, which this scan cannot vouch for.\n\n**Fix:** check that the module is a library you trust and have installed; prefer a data-only format (safetensors, ONNX, skops) for sharing.`,
  ),
  r(
    'pickle-malformed',
    'Pickle is malformed or truncated',
    'warning',
    `The pickle has an invalid opcode, a stack/memo error, a missing STOP or a truncated argument. An unpickler stops at the error, but only after running everything before it, so everything up to that point was still scanned and reported; bytes after it were searched for further pickles.\n\n**Fix:** re-download the file and compare its digest; a broken pickle right after a payload is a known evasion trick.`,
  ),
  r(
    'pickle-suspicious-structure',
    'Pickle has a suspicious structure',
    'warning',
    `A PROTO header in the middle of a pickle, or a similar structure that pickle writers never produce. It does not run code by itself but suggests hand-crafted bytes.\n\n**Fix:** treat the file as untrusted; compare it with the publisher's digest.`,
  ),
  r(
    'nested-pickle',
    'Embedded pickle found',
    'info',
    `A string or bytes value inside the pickle is itself a pickle (raw, latin-1 text, base64 or hex). It runs only if something calls \`pickle.loads\`/\`torch.load\` on it; it was scanned as its own member (\`#nested@OFFSET\`), and its own findings decide: a loader (\`pickle.loads\`, \`torch.storage._load_from_bytes\`…) called only on such literal data is not a finding by itself. It is a warning when the nested stream could not be scanned completely.\n\n**Fix:** look at the nested findings; a model file has no reason to carry a serialized pickle inside a pickle, except \`pickle.dumps(tensor)\`, which embeds a legacy \`torch.save\` stream.`,
  ),
  r(
    'trailing-data',
    'Data after the pickle was not a pickle',
    'warning',
    `After the last STOP opcode there are bytes that are not a further pickle. \`pickle.load\` ignores them, but another reader might not (polyglot files), and a payload can hide in them.\n\n**Fix:** compare the file with the publisher's digest; re-save the model to drop the extra bytes.`,
  ),
  r(
    'incomplete',
    'Part of the file was not scanned',
    'warning',
    `A limit (size, nesting depth, member count, compression ratio, opcode count, time), an unsupported compression method or an unreadable structure stopped the scan of part of the file. What was not scanned is not known to be safe.\n\n**Fix:** raise the limit in settings (\`modelInspect.scan.*\`) if the file is legitimately large, or do not load the file.`,
  ),
  r(
    'unknown-format',
    'Weight file in an unrecognised format',
    'warning',
    `The file has a model-weight extension but its content matches none of the formats this scanner knows (pickle, PyTorch, NumPy, joblib, safetensors, GGUF, Keras, HDF5, ONNX, archives). It could not be checked.\n\n**Fix:** find out what wrote the file; prefer safetensors or GGUF.`,
  ),
  r(
    'archive-unsafe',
    'Archive member with an unsafe path or type',
    'warning',
    `An archive member has an absolute path, a \`..\` component, is a link or device, or is an executable/script (\`.py .sh .exe .so .dll\`). Extracting such archives can overwrite files outside the target folder or ship code next to the weights.\n\n**Fix:** do not extract the archive blindly; inspect the listed members.`,
  ),
  r(
    'archive-malformed',
    'Archive structure is malformed',
    'warning',
    `The zip/tar structure is inconsistent (bad signatures, offsets past the end, name differences between local and central headers, CRC mismatch). PyTorch ignores many of these, other readers do not: a parser differential used to hide payloads. Members were read the way \`torch.load\` reads them.\n\n**Fix:** re-create the archive with a standard tool; compare with the publisher's digest.`,
  ),
  r(
    'torchscript',
    'TorchScript archive carries code',
    'warning',
    `The archive is a TorchScript model (\`constants.pkl\`, \`code/\`). \`torch.jit.load\` compiles and runs the serialized TorchScript code; it is a program, not only weights.\n\n**Fix:** load it only if you trust its publisher; prefer safetensors for weights.`,
  ),
  r(
    'npy-object-array',
    'NumPy array of Python objects',
    'warning',
    `The \`.npy\` header declares an object dtype, so its payload is a pickle and \`np.load\` needs \`allow_pickle=True\` (CVE-2019-6446). The pickle was scanned; its findings are listed separately.\n\n**Fix:** store numeric arrays; never load object arrays from untrusted sources.`,
  ),
  r(
    'npy-invalid',
    'NumPy header is invalid',
    'warning',
    'The `.npy` magic, version, header length or header dictionary (`descr`, `fortran_order`, `shape`) is malformed, or the data size does not match the shape.\n\n**Fix:** re-create the file with `np.save`.',
  ),
  r(
    'safetensors-invalid',
    'safetensors file violates the format',
    'warning',
    `The safetensors header breaks the specification: header length past the end or over 100 MB, not a JSON object, unknown dtype, bad shape, overlapping or gapped data offsets, size not matching shape × dtype, non-string \`__metadata__\`, or bytes after the last tensor (a polyglot). The safetensors library refuses such files; other readers may be exploited by them.\n\n**Fix:** re-export the weights with the safetensors library.`,
  ),
  r(
    'safetensors-metadata',
    'Suspicious safetensors metadata',
    'warning',
    `A \`__metadata__\` value contains what looks like code, a shell command, a URL to a script or an embedded pickle. safetensors never executes metadata, but tools that read it might.\n\n**Fix:** check who added the metadata; strip it when re-exporting.`,
  ),
  r(
    'gguf-invalid',
    'GGUF file violates the format',
    'warning',
    'The GGUF header, metadata or tensor infos break the specification (version, counts, key/value types, string lengths, alignment, tensor dims/types/offsets, required keys). llama.cpp rejects such files; lenient readers may be exploited by them.\n\n**Fix:** re-convert the model with a current llama.cpp `convert` script.',
  ),
  r(
    'gguf-chat-template',
    'GGUF chat template reaches for code',
    'error',
    'The Jinja chat template (`tokenizer.chat_template`) uses constructs that escape the template sandbox (`__class__`, `__globals__`, `__subclasses__`, `os`, `popen`, `import`…). Loaders that render it with a non-sandboxed Jinja environment run code (CVE-2024-34359, llama-cpp-python).\n\n**Fix:** do not load the model; replace the template with a known-good one.',
  ),
  r(
    'keras-lambda',
    'Keras model contains a Lambda layer',
    'error',
    'The Keras config has a `Lambda`/`TFOpLambda` layer whose function is serialized Python bytecode or source. Loading it with `safe_mode=False` (or any Keras 2 H5 load) runs that code.\n\n**Fix:** rebuild the model without Lambda layers, or load only with `safe_mode=True` from a trusted source.',
  ),
  r(
    'keras-foreign-module',
    'Keras config references modules outside Keras',
    'warning',
    'A layer, function or object in the Keras config names a module outside keras/tensorflow/numpy/math (or a custom object), or a known gadget (`get_file`, `TorchModuleWrapper`, CVE-2025-1550/8747/49655). Deserializing imports it and may call it.\n\n**Fix:** check each module named; load only with `safe_mode=True`.',
  ),
  r(
    'polyglot',
    'Content is a pickle as well as another format',
    'warning',
    `The file is a valid container or weight format (tar, GGUF, safetensors, HDF5, NumPy…) and, read from its first byte, also a pickle. \`pickle.load\`/\`joblib.load\` on it runs that pickle, whatever the name says. Both readings were scanned.\n\n**Fix:** ${FIX}`,
  ),
  r(
    'torchscript-code',
    'TorchScript code runs on load or does file/process I/O',
    'error',
    'The TorchScript code in the archive (`code/**/*.py`, mobile `bytecode.pkl`) defines `__setstate__`/`__getstate__` (run by `torch.jit.load` while loading) or calls operators that read or write files or load native code (`torch.from_file`, `torch.save`, `torch.load`, custom `torch.ops.<namespace>.*` operators, `aten::from_file`, `aten::save`…). A model needs none of these to compute. Each finding names the operator and the line.\n\n**Fix:** load it only if you trust its publisher; export the weights to safetensors and rebuild the module from source.',
  ),
  r(
    'not-analysed',
    'File not analysed',
    'info',
    'A file in the scanned folder whose content no engine understands (binary data of no known format, a native library), a link leaving the folder, a FIFO or device, a version-control folder, or an unreadable entry. It was listed with its size, not analysed. The promotion gate decides what to do with such files through `gate.scan.not_analysed` (`warn` by default, `block` or `allow`).\n\n**Fix:** remove what the model does not need; keep weights in safetensors or GGUF.',
  ),
  r(
    'scanned',
    'Scanned',
    'info',
    'What was scanned in this file (format, pickles, opcodes, imports) and found without issues. Informational.',
  ),
];
