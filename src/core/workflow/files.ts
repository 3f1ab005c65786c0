/** Workflow files: `.github/workflows/*.yml|yaml` (directly in that folder, as GitHub reads them). */
export function isWorkflowPath(p: string): boolean {
  return /(^|[\\/])\.github[\\/]workflows[\\/][^\\/]+\.ya?ml$/i.test(p);
}
