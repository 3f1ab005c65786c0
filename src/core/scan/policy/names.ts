/**
 * The global-name policy data (see SCANNER-NOTES §3–4): the union of picklescan, ModelScan,
 * fickling, ModelAudit and bypass-report deny lists, and an allowlist built from PyTorch's
 * `weights_only` set, NumPy array reconstruction and plain containers. An entry is a dotted
 * prefix: `os` covers `os.system` and `os.path.join`; `builtins.eval` covers `builtins.eval.__call__`.
 */

/** Why a family of names is dangerous, in words a user understands. */
export const WHY = {
  process: 'runs operating-system commands or starts processes',
  code: 'evaluates or compiles arbitrary Python code',
  import: 'imports modules or looks up attributes chosen by the file, a universal trampoline to any function',
  nested: 'deserializes more data (another pickle or model) that this scan cannot vouch for',
  debug: 'debugger/profiler/test helpers that execute code strings',
  files: 'reads, writes or deletes files, or runs pagers and package tools',
  network: 'opens network connections (downloads, exfiltration, SSRF)',
  native: 'loads native libraries or calls C functions directly',
  torch: 'a PyTorch internal that compiles or runs code, or loads remote models',
  gadget: 'a known code-execution gadget from published scanner bypasses',
  tamper: 'imports a pickle scanner itself, to disable or fool it',
  threads: 'starts threads, sub-interpreters or signal handlers',
  builtin: 'a Python builtin outside the plain data types: attribute access, I/O or code execution',
  internals: 'reaches into Python internals (dunder attribute), a common way to escape allowlists',
  encoded: 'decodes or decompresses data, typically to hide a payload',
} as const;

export type DenyReason = keyof typeof WHY;

const DENY_GROUPS: Record<DenyReason, string[]> = {
  process: [
    'os', 'nt', 'posix', 'ntpath', 'posixpath', 'subprocess', 'commands', 'pty', '_posixsubprocess',
    'multiprocessing', 'concurrent.futures.ProcessPoolExecutor', 'concurrent.futures.ThreadPoolExecutor',
    'platform', 'popen2', 'spawn', 'pexpect', 'pipes', 'uuid._get_command_stdout', 'uuid._popen',
    '_osx_support', '_aix_support', '_pyrepl', 'imaplib.IMAP4_stream', 'webbrowser', 'sh', 'plumbum',
    'fcntl', 'termios', 'tty', 'curses', '_curses', 'ossaudiodev', 'resource',
  ],
  code: [
    'builtins.eval', 'builtins.exec', 'builtins.compile', 'builtins.execfile', 'builtins.input', 'builtins.raw_input',
    'builtins.breakpoint', 'builtins.apply', 'runpy', 'code', 'codeop', 'compileall', 'py_compile', 'marshal', 'types',
    'sympy.utilities.lambdify', 'sympy.sympify', 'numexpr', 'jinja2', 'mako', 'IPython', 'ipykernel',
  ],
  import: [
    'builtins.__import__', 'builtins.getattr', 'builtins.setattr', 'builtins.delattr', 'builtins.globals',
    'builtins.locals', 'builtins.vars', 'builtins.dir', 'builtins.reload', 'builtins.open', 'importlib',
    '_frozen_importlib', '_frozen_importlib_external', '_imp', 'imp', 'pkgutil', 'zipimport', 'site', 'gc',
    'inspect', 'sys', 'operator', '_operator', 'functools', 'copyreg', 'copy_reg', 'unittest.mock',
    'xmlrpc.server.resolve_dotted_attribute', 'cgitb.lookup', 'pydoc', 'builtins.__builtins__',
  ],
  nested: [
    'pickle', '_pickle', 'cPickle', 'dill', 'cloudpickle', 'joblib', 'shelve', 'torch.load', 'torch.serialization.load',
    'torch.storage._load_from_bytes', 'pandas.read_pickle', 'pandas.io.pickle', 'numpy.load', 'numpy.lib.npyio.load',
    'numpy.lib.npyio.loadtxt', 'torch.utils._config_module.ConfigModule.load_config',
    'torch.utils.data.datapipes.utils.decoder.basichandlers', 'yaml.load', 'yaml.unsafe_load', 'yaml.full_load',
    'jsonpickle', 'keras.models.load_model', 'tensorflow.keras.models.load_model', 'pickletools',
  ],
  debug: [
    'pdb', 'bdb', 'cProfile', 'profile', 'timeit', 'trace', 'doctest', 'idlelib', 'lib2to3', 'test',
    'numpy.testing._private.utils.runstring', 'numpy.testing', 'numpy.f2py', 'numpy.distutils', 'tracemalloc',
    // Test runners: TestProgram(argv=[…, 'module.name']) imports that name and calls what it finds.
    'unittest', 'pytest', '_pytest', 'nose', 'nose2',
  ],
  files: [
    'shutil', 'tempfile', 'filecmp', 'fileinput', 'glob', 'distutils', 'setuptools', 'pip', 'venv', 'ensurepip',
    'io.FileIO', 'io.open', 'io.open_code', '_io.FileIO', '_io.open', '_io.open_code', 'logging', 'syslog',
    'tarfile', 'zipfile', 'sqlite3', '_sqlite3', 'mmap', 'linecache', 'difflib', 'dbm', 'lzma.open', 'bz2.open',
    'gzip.open', 'codecs.open', 'getpass.getuser', 'resource', 'pandas.read_csv', 'pandas.io.parsers',
    'xml.dom.minidom.parse', 'xml.etree.ElementTree.parse', 'xml.sax', 'mlflow.projects', 'os.path',
    // Classes whose constructor opens, creates or truncates a file (GzipFile(path, 'wb') …).
    'gzip', 'bz2', 'lzma', '_compression', '_pyio', 'wave', 'aifc', 'sunau', 'mailbox', 'zipapp', 'readline',
    'cgitb', 'faulthandler', 'shelve', 'codecs.StreamReaderWriter', 'codecs.EncodedFile', 'tracemalloc', 'pstats',
    'sqlite3.connect', 'dbm.dumb', 'logging.handlers', 'fileinput',
    'numpy.memmap', 'numpy.core.memmap', 'numpy._core.memmap', 'numpy.lib.format.open_memmap', 'numpy.save', 'numpy.savez',
    'numpy.savez_compressed', 'numpy.savetxt', 'numpy.fromfile', 'numpy.tofile', 'numpy.ndarray.tofile', 'numpy.ndarray.dump',
    'torch.from_file', 'torch.save', 'torch.UntypedStorage.from_file', 'torch.storage.UntypedStorage.from_file',
    'torch.TypedStorage.from_file', 'torch.storage.TypedStorage.from_file',
  ],
  network: [
    'socket', '_socket', 'ssl', '_ssl', 'http', 'httplib', 'urllib', 'urllib2', 'urllib3', 'requests', 'aiohttp',
    'asyncio', 'smtplib', 'imaplib', 'ftplib', 'poplib', 'telnetlib', 'nntplib', 'xmlrpc', 'socketserver',
    'SocketServer', 'select', 'selectors', 'httpx', 'websocket', 'websockets', 'paramiko', 'boto3', 'botocore',
    'smtpd', 'asyncore', 'asynchat', 'wsgiref', 'multiprocessing.connection', 'grpc', 'zmq', 'redis', 'pymongo',
    'psycopg2', 'pymysql', 'sqlalchemy', 'pika', 'kombu', 'twisted', 'tornado', 'fsspec', 'gcsfs', 's3fs', 'smart_open',
  ],
  native: ['ctypes', '_ctypes', 'cffi', 'msvcrt', 'winreg', '_winreg', '_winapi', 'win32api', 'win32com'],
  torch: [
    'torch._inductor', 'torch._dynamo', 'torch.jit', 'torch.hub', 'torch.compile', 'torch._C._jit',
    'torch.fx.experimental.symbolic_shapes.ShapeEnv.evaluate_guards_expression',
    'torch.distributed.rpc', 'torch.distributed.elastic.rendezvous.api.basichandlers',
    'torch.utils.bottleneck', 'torch.utils.collect_env', 'torch.package', 'torch.ops', 'torch.cuda.memory._dump_snapshot',
    'torch.testing._internal', 'torch.utils.cpp_extension',
  ],
  gadget: ['weakref.finalize', 'atexit', 'nntplib.NNTP', 'tkinter', 'turtle', 'builtins.memoryview', 'ctypes.util', 'sysconfig'],
  tamper: ['fickling', 'picklescan', 'modelscan', 'model_unpickler', 'saferpickle', 'modelaudit'],
  threads: ['signal', '_signal', 'threading', '_thread', 'thread', '_interpreters', '_xxsubinterpreters', 'concurrent.interpreters'],
  builtin: [],
  internals: [],
  encoded: [],
};

/** dotted prefix → reason. */
export const DENY: ReadonlyMap<string, DenyReason> = (() => {
  const m = new Map<string, DenyReason>();
  for (const [reason, names] of Object.entries(DENY_GROUPS) as [DenyReason, string[]][]) for (const n of names) if (!m.has(n)) m.set(n, reason);
  return m;
})();

/**
 * Modules dangerous enough that reaching them through attribute access anywhere in a dotted
 * name (`pathlib` + `os.system`, `torch.serialization.os`) is itself dangerous.
 */
export const DENY_ANYWHERE: ReadonlySet<string> = new Set([
  'os', 'nt', 'posix', 'subprocess', 'sys', 'builtins', '__builtins__', '__builtin__', 'pty', 'runpy', 'socket',
  'ctypes', 'importlib', 'marshal', 'pickle', '_pickle', 'shutil', 'commands', 'webbrowser', 'eval', 'exec',
  '__import__', 'system', 'popen', 'execfile', 'getattr', 'setattr', 'compile', 'spawn', 'Popen',
]);

/** Builtins that are plain data types (fickling's SAFE_BUILTINS minus anything callable with effects). */
const SAFE_BUILTINS = ['bool', 'int', 'float', 'complex', 'str', 'bytes', 'bytearray', 'list', 'tuple', 'set', 'frozenset', 'dict', 'slice', 'range', 'object', 'NoneType', 'Ellipsis', 'NotImplemented'];

const TORCH_REBUILD = [
  '_rebuild_parameter', '_rebuild_parameter_with_state', '_rebuild_qtensor', '_rebuild_tensor', '_rebuild_tensor_v2',
  '_rebuild_tensor_v3', '_rebuild_sparse_tensor', '_rebuild_meta_tensor_no_storage', '_rebuild_wrapper_subclass',
  '_rebuild_device_tensor_from_numpy', '_rebuild_device_tensor_from_cpu_tensor', '_rebuild_nested_tensor',
];
const TORCH_DTYPES = [
  'float32', 'float', 'float64', 'double', 'float16', 'half', 'bfloat16', 'complex32', 'chalf', 'complex64', 'cfloat',
  'complex128', 'cdouble', 'uint8', 'uint16', 'uint32', 'uint64', 'int8', 'int16', 'short', 'int32', 'int', 'int64',
  'long', 'bool', 'qint8', 'quint8', 'qint32', 'quint4x2', 'quint2x4', 'float8_e4m3fn', 'float8_e5m2',
  'float8_e4m3fnuz', 'float8_e5m2fnuz', 'float8_e8m0fnu', 'float4_e2m1fn_x2', 'bits8', 'bits16', 'bits1x8', 'bits2x4', 'bits4x2',
  'int1', 'int2', 'int3', 'int4', 'int5', 'int6', 'int7', 'uint1', 'uint2', 'uint3', 'uint4', 'uint5', 'uint6', 'uint7',
];
const TORCH_MISC = [
  'Size', 'Tensor', 'device', 'dtype', 'layout', 'memory_format', 'strided', 'sparse_coo', 'sparse_csr', 'sparse_csc',
  'sparse_bsr', 'sparse_bsc', '_mkldnn', 'contiguous_format', 'channels_last', 'channels_last_3d', 'preserve_format',
  'per_tensor_affine', 'per_channel_affine', 'per_tensor_symmetric', 'per_channel_symmetric', 'per_channel_affine_float_qparams',
  'qscheme', 'finfo', 'iinfo',
];

export const ALLOW: ReadonlySet<string> = new Set([
  ...SAFE_BUILTINS.map((n) => `builtins.${n}`),
  'collections.OrderedDict', 'collections.Counter', 'collections.defaultdict', 'collections.deque',
  '_codecs.encode', 'copyreg._reconstructor', 'copyreg.__newobj__', 'copyreg.__newobj_ex__',
  'datetime.datetime', 'datetime.date', 'datetime.time', 'datetime.timedelta', 'datetime.timezone',
  // Standard-library constructors without side effects that training runs pickle (argparse
  // namespaces with compiled patterns, paths, numbers, UUIDs, addresses).
  'argparse.Namespace', 're._compile', 're.compile', 're.RegexFlag', 'pathlib.Path', 'pathlib.PosixPath',
  'pathlib.WindowsPath', 'pathlib.PurePath', 'pathlib.PurePosixPath', 'pathlib.PureWindowsPath', 'decimal.Decimal',
  'fractions.Fraction', 'uuid.UUID', 'uuid.SafeUUID', 'ipaddress.IPv4Address', 'ipaddress.IPv6Address', 'ipaddress.IPv4Network',
  'ipaddress.IPv6Network', 'ipaddress.IPv4Interface', 'ipaddress.IPv6Interface', 'types.SimpleNamespace',
  'collections.ChainMap', 'collections.UserDict', 'collections.UserList', 'collections.UserString',
  'array.array', 'array._array_reconstructor', 'io.BytesIO', '_io.BytesIO', 'io.StringIO', '_io.StringIO',
  'random.Random', 'time.struct_time', 'builtins.reversed', 'enum.Enum', 'string.Template',
  ...TORCH_REBUILD.map((n) => `torch._utils.${n}`),
  'torch._tensor._rebuild_from_type_v2', 'torch.nn.parameter.Parameter', 'torch.serialization._get_layout',
  'torch.storage.TypedStorage', 'torch.storage.UntypedStorage', 'torch.storage._TypedStorage', 'torch._utils._rebuild_qtensor',
  ...TORCH_DTYPES.map((n) => `torch.${n}`), ...TORCH_MISC.map((n) => `torch.${n}`),
  'numpy.core.multiarray._reconstruct', 'numpy._core.multiarray._reconstruct', 'numpy.ndarray', 'numpy.dtype',
  'numpy.core.multiarray.scalar', 'numpy._core.multiarray.scalar', 'numpy.core.numeric._frombuffer',
  'numpy._core.numeric._frombuffer', 'numpy.ma.core._mareconstruct', 'numpy.ma.core.MaskedArray',
  // NumPy random state objects (scikit-learn estimators keep them): constructors only.
  'numpy.random._pickle.__randomstate_ctor', 'numpy.random._pickle.__generator_ctor', 'numpy.random._pickle.__bit_generator_ctor',
  'numpy.random.mtrand.RandomState', 'numpy.random._mt19937.MT19937', 'numpy.random._pcg64.PCG64',
  'joblib.numpy_pickle.NumpyArrayWrapper', 'sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper',
  'joblib.numpy_pickle_compat.NDArrayWrapper', 'joblib.numpy_pickle_compat.ZNDArrayWrapper',
  // TorchScript archives: list/type helpers of the TorchScript unpickler.
  'torch.jit._pickle.build_intlist', 'torch.jit._pickle.build_tensorlist', 'torch.jit._pickle.build_doublelist',
  'torch.jit._pickle.build_boollist', 'torch.jit._pickle.build_tensor_from_id', 'torch.jit._pickle.restore_type_tag',
]);

/** Patterns for allowlisted families too large to enumerate (storage classes, NumPy dtype classes). */
export const ALLOW_PATTERNS: readonly RegExp[] = [
  /^torch\.(?:cuda\.)?[A-Za-z0-9]*Storage$/,
  /^numpy\.dtypes\.[A-Za-z0-9]+DType$/,
];

/** Dunder-named parts that are part of normal pickles and not an escape. */
export const BENIGN_DUNDERS: ReadonlySet<string> = new Set(['__newobj__', '__newobj_ex__', '__main__', '__torch__']);
