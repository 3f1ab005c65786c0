import type { RuleInfo } from '../findings.ts';

/** Python source checks: code that loads or saves models through pickle (see checks.ts). */
export const PYTHON_RULES: readonly RuleInfo[] = [
  {
    id: 'python/torch-load-unsafe',
    title: 'torch.load without weights_only=True',
    category: 'python',
    defaultSeverity: 'warning',
    help: [
      '`torch.load` (and `torch.hub.load_state_dict_from_url`, which calls it) unpickles the checkpoint. Without `weights_only=True` the unpickler imports and calls whatever the file names, so a crafted `.pt`/`.bin`/`.ckpt` runs code the moment it is loaded.',
      '',
      'PyTorch 2.6 changed the default to `weights_only=True`, but PyTorch 1.13–2.5 still default to `False`, `TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1` turns the old behaviour back on, and an explicit `weights_only=False` always loads everything. Writing `weights_only=True` keeps the call safe on every version that has the argument (1.13 and later).',
      '',
      '**Fix:** add `weights_only=True` (the quick fix does). It loads tensors, plain containers and the types PyTorch allow-lists; a checkpoint that needs other classes fails loudly instead of running them. Combined with `pickle_module=` torch refuses it, so no fix is offered there. Better still, store weights as safetensors (`model-inspect convert`).',
    ].join('\n'),
  },
  {
    id: 'python/torch-save-pickle',
    title: 'torch.save writes a pickle',
    category: 'python',
    defaultSeverity: 'info',
    help: [
      '`torch.save` writes a pickle: everyone who loads the file with `torch.load` (without `weights_only=True`) runs whatever it contains, and scanners have to prove it harmless.',
      '',
      '**Fix:** save a state dict with `safetensors.torch.save_file(state_dict, "model.safetensors")` and load it with `safetensors.torch.load_file`. The quick fix is offered when the path is a literal and the object can be a state dict; it adds `from safetensors.torch import save_file` and renames the file to `.safetensors`.',
      '',
      '`save_file` accepts only a flat `dict[str, torch.Tensor]`: nested dicts, non-tensor values (epochs, optimizer state) and tensors that share memory (tied weights) raise. For a module with tied weights use `safetensors.torch.save_model(model, path)` (offered as a second fix for `torch.save(model.state_dict(), …)`); keep training state (optimizer, scheduler) in a separate file.',
    ].join('\n'),
  },
  {
    id: 'python/safe-serialization-off',
    title: 'safetensors turned off when saving',
    category: 'python',
    defaultSeverity: 'warning',
    help: [
      '`save_pretrained(…, safe_serialization=False)` (transformers, diffusers, peft, accelerate) and `TrainingArguments(save_safetensors=False)` write `pytorch_model.bin`, a pickle, instead of `model.safetensors`. Anyone who downloads the model then has to unpickle it. `from_pretrained(…, use_safetensors=False)` does the reverse: it loads the pickle even when a safetensors file is there.',
      '',
      '**Fix:** set the argument to `True` (the default in current versions) or drop it. safetensors holds tensors and a string metadata map only, so loading it cannot run code.',
    ].join('\n'),
  },
  {
    id: 'python/unpickle-model',
    title: 'Model loaded with pickle',
    category: 'python',
    defaultSeverity: 'warning',
    help: [
      '`pickle.load`/`loads`/`Unpickler`, `joblib.load`, `dill.load`, `cloudpickle.load` and `pandas.read_pickle` unpickle their input: the file decides which functions are imported and called, so a crafted model file runs code as it loads. The message names the file when the code opens a literal path.',
      '',
      '**Fix:** load only files you produced or whose signature you verified (`model-inspect verify`), and scan them first (`model-inspect scan`). Prefer formats without code: safetensors for tensors, `skops.io` (with an explicit trusted-type list) or ONNX for scikit-learn models, JSON for configuration. No automatic fix: the replacement depends on what the file holds.',
    ].join('\n'),
  },
  {
    id: 'python/numpy-allow-pickle',
    title: 'numpy.load with allow_pickle=True',
    category: 'python',
    defaultSeverity: 'warning',
    help: [
      '`numpy.load(…, allow_pickle=True)` unpickles object arrays in `.npy`/`.npz` files, so a crafted array file runs code as it loads. NumPy has defaulted to `allow_pickle=False` since 1.16.3 for this reason.',
      '',
      '**Fix:** set `allow_pickle=False` (the quick fix does). Numeric arrays load exactly the same; a file that really holds Python objects then fails with a clear error instead of executing them.',
    ].join('\n'),
  },
  {
    id: 'python/not-checked',
    title: 'Python file not checked',
    category: 'python',
    defaultSeverity: 'info',
    help: "The file was skipped: a `.py` file over 4 MiB or a notebook over 32 MiB (generated code or embedded outputs), or an `.ipynb` that is not valid notebook JSON. Nothing in it was checked, so the absence of findings says nothing about it. Check the code that matters in a smaller file, or clear the notebook's outputs.",
  },
];
