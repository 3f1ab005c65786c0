import { FileTooLargeError, readRegularFile } from '../fsutil/read.ts';
import type { Finding } from '../findings.ts';
import type { InspectResult, Inspector } from '../inspect/types.ts';
import { decodeUtf8 } from '../yaml/decode.ts';
import { checkWorkflowText } from './check.ts';
import { isWorkflowPath } from './files.ts';

const MAX_WORKFLOW_BYTES = 2 * 1024 * 1024;

/**
 * Read and check one workflow file; encoding problems become findings. Inline suppressions
 * (`# model-inspect-disable-line RULE`) are applied by every face's findings step (src/core/present.ts).
 */
export async function checkWorkflowFile(file: string, options: { repositoryOwner?: string } = {}): Promise<Finding[]> {
  let bytes: Buffer;
  try {
    bytes = await readRegularFile(file, MAX_WORKFLOW_BYTES);
  } catch (e) {
    if (!(e instanceof FileTooLargeError)) throw e;
    return [
      {
        ruleId: 'yaml/too-large',
        severity: 'warning',
        message: `${e.size} bytes is over the ${MAX_WORKFLOW_BYTES}-byte limit for a workflow; not checked`,
        file,
      },
    ];
  }
  const decoded = decodeUtf8(bytes);
  const findings: Finding[] = [];
  if (decoded.problem)
    findings.push({
      ruleId: 'yaml/encoding',
      severity: 'error',
      message: decoded.problem.message,
      file,
      offset: decoded.problem.offset,
    });
  findings.push(...(await checkWorkflowText(decoded.text, file, { repositoryOwner: options.repositoryOwner })));
  return findings;
}

export const workflowInspector: Inspector = {
  id: 'workflow',
  title: 'GitHub Actions workflows',
  async inspect(ctx): Promise<InspectResult> {
    const result: InspectResult = { findings: [], files: [] };
    for (const f of ctx.files) {
      if (!isWorkflowPath(f.rel)) continue;
      ctx.signal?.throwIfAborted();
      const findings = await checkWorkflowFile(f.path);
      result.findings.push(...findings);
      result.files.push({
        path: f.path,
        kind: 'workflow',
        summary: findings.length ? `${findings.length} finding${findings.length === 1 ? '' : 's'}` : 'no findings',
      });
    }
    return result;
  },
};
