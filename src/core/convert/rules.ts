import type { RuleInfo } from '../findings.ts';

/** The converter (PyTorch pickle checkpoints → safetensors) and model cards that point at pickles. */
export const CONVERT_RULES: readonly RuleInfo[] = [
  {
    id: 'convert/card-pickle-reference',
    title: 'Model card points at pickle weights',
    category: 'convert',
    defaultSeverity: 'info',
    help: [
      'The model card names a pickle weight file (`pytorch_model.bin`, `model.pt`, `*.ckpt`, `*.pkl`). Readers copy what the card shows, and loading a pickle runs whatever it contains.',
      '',
      'When a safetensors file with the same weights sits next to it (`model.safetensors` for `pytorch_model.bin`, `x.safetensors` for `x.pt`, shards and `.index.json` included) the quick fix points the card at it. When there is none, the fix converts the checkpoint (`Convert to safetensors`), after which the reference can be updated.',
    ].join('\n'),
  },
  {
    id: 'convert/refused',
    title: 'Checkpoint holds more than tensors: not converted',
    category: 'convert',
    defaultSeverity: 'error',
    help: [
      "The converter reads the checkpoint's pickle with the scanner's simulated machine and accepts only what rebuilds tensors and plain containers: `collections.OrderedDict`, `torch._utils._rebuild_tensor_v2` / `_rebuild_tensor`, `torch._utils._rebuild_parameter`, `torch.*Storage`, `torch.storage.UntypedStorage`/`TypedStorage`, `torch.Size`, and dicts, lists, tuples, strings and numbers.",
      '',
      'Anything else (a call to `os.system`, a pickled class, an unknown global, a custom `__reduce__`) is refused with its name and byte offset, and nothing is written. A checkpoint that needs other objects to load is not a plain weight file: scan it (`model-inspect scan`) and, if you trust it, save its `state_dict()` with `safetensors.torch.save_file` in Python.',
    ].join('\n'),
  },
  {
    id: 'convert/unsupported',
    title: 'Checkpoint format or tensor kind not supported',
    category: 'convert',
    defaultSeverity: 'error',
    help: [
      'The file is not a PyTorch checkpoint the converter can rebuild: not a zip (`torch.save` since 1.6) or legacy (pre-1.6) stream, a TorchScript archive (`constants.pkl`), the pre-1.0 tar format, a truncated or malformed archive, a storage missing from the archive, or a tensor kind safetensors cannot hold (sparse, quantized, complex, a dtype without a safetensors equivalent), or views that would expand to more than 4× the checkpoint plus 64 MiB once written contiguously (an `expand` bomb that would fill the disk).',
      '',
      'Nothing is written. For TorchScript or quantized models, export weights from Python (`safetensors.torch.save_file(model.state_dict(), …)`).',
    ].join('\n'),
  },
  {
    id: 'convert/dropped-value',
    title: 'Non-tensor value not kept',
    category: 'convert',
    defaultSeverity: 'warning',
    help: [
      "safetensors files hold tensors plus a map of strings (`__metadata__`). Non-tensor values in the checkpoint (epoch numbers, learning rates, names, small lists) are kept there as strings (JSON for numbers and lists); values that do not fit (bytes, large structures, `None` inside tensors' places, a key that would clash with `format`) are dropped and listed here.",
      '',
      'If the dropped values matter (training state, hyper-parameters), keep them in a separate JSON file next to the weights.',
    ].join('\n'),
  },
  {
    id: 'convert/shared-tensor',
    title: 'Tensors that share memory',
    category: 'convert',
    defaultSeverity: 'info',
    help: [
      'Several names in the checkpoint refer to one tensor (tied weights such as `lm_head.weight` and `embed_tokens.weight`), or to views of one storage (slices, transposes).',
      '',
      'As in Hugging Face\'s converter, names that are the same tensor (same storage, offset, shape and strides) are written once; the others are recorded in `__metadata__` as `"alias": "kept name"` (transformers re-ties them on load). Views that differ are written as their own contiguous copies, so every tensor reads back exactly as PyTorch would load it.',
    ].join('\n'),
  },
  {
    id: 'convert/verify-failed',
    title: 'Written file did not verify',
    category: 'convert',
    defaultSeverity: 'error',
    help: "After writing, the converter re-opens the new file with the safetensors validator and compares every tensor's bytes with the source checkpoint. A mismatch (disk error, a converter bug) deletes the new file and reports the first differing tensor; the source is never touched.",
  },
];
