import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { parsePolicy, POLICY_FILE_NAMES } from '../core/gate/policy.ts';
import { ruleInfo } from '../core/rules.ts';
import { modelTarget } from '../core/model/target.ts';
import { toJsonFinding, toJsonReport } from '../core/output/json.ts';
import { toSarif } from '../core/output/sarif.ts';
import { locateTools, runGrype, runSyft, runTrivy, TOOLS } from '../core/tools/external.ts';
import type { ToolStatus } from '../core/tools/types.ts';
import { ToolRunError } from '../core/tools/run.ts';
import { MODELS_VIEW_ID, OPEN_REPORT_COMMAND, registerModelTree } from './modelTree.ts';
import { ModelStore } from './modelStore.ts';
import { ReportPanels } from './reportPanel.ts';
import type { Services } from './services.ts';
import { toolLocations, toolTimeoutMs } from './settings.ts';

/** The report panel, the "Model Supply Chain" view, the status bar item and their commands. */
export function registerReport(svc: Services): { panels: ReportPanels; store: ModelStore } {
  const store = new ModelStore(svc);
  const panels = new ReportPanels(svc, store);
  const version = String((svc.context.extension.packageJSON as { version?: string }).version ?? '0.0.0');
  svc.context.subscriptions.push(store, panels, ...registerModelTree(store));
  // The promotion policy is validated as it is typed: a broken policy blocks every gate.
  svc.context.subscriptions.push(
    svc.live.add({
      id: 'promotion policy',
      matches: (doc) => doc.uri.scheme !== 'output' && POLICY_FILE_NAMES.includes(path.basename(doc.uri.path)),
      validate: (doc) =>
        parsePolicy(doc.getText(), doc.uri.fsPath, { isKnownRule: (id) => ruleInfo(id) !== undefined }).findings,
    }),
  );

  const command = (id: string, fn: (uri?: vscode.Uri, target?: vscode.Uri) => Promise<unknown>) =>
    vscode.commands.registerCommand(id, async (uri?: unknown, target?: unknown) => {
      try {
        return await fn(uri instanceof vscode.Uri ? uri : undefined, target instanceof vscode.Uri ? target : undefined);
      } catch (e) {
        svc.log.error(`${id}: ${(e as Error).stack ?? e}`);
        void vscode.window.showErrorMessage(`Model Inspect: ${(e as Error).message}`);
      }
    });

  svc.context.subscriptions.push(
    command(OPEN_REPORT_COMMAND, async (uri) => {
      const root = await modelRoot(store, uri, 'Open the report of which model?');
      if (root) panels.show(root);
    }),
    command('modelInspect.report.generateSbom', async (uri) => {
      const root = await modelRoot(store, uri, 'Generate an ML-BOM for which model?');
      if (root) await generateSbom(svc, root, version);
    }),
    command('modelInspect.report.runVulnerabilityScan', async (uri) => {
      const root = await modelRoot(store, uri, 'Scan which model for vulnerabilities?');
      if (root) await runVulnerabilityScan(svc, root);
    }),
    command('modelInspect.report.exportReport', async (uri, target) => {
      const root = await modelRoot(store, uri, 'Export the gate report of which model?');
      // A target file (from another command or an automation) skips the save dialog.
      if (root) return exportReport(store, root, version, target);
    }),
    command('modelInspect.models.refresh', async () => store.rediscover()),
  );
  svc.log.info(`report panel and ${MODELS_VIEW_ID} view registered`);
  return { panels, store };
}

/** The model a command is about: the given folder/file, the active editor's model, or a pick. */
async function modelRoot(
  store: ModelStore,
  uri: vscode.Uri | undefined,
  question: string,
): Promise<string | undefined> {
  if (uri?.scheme === 'file') return (await modelTarget(uri.fsPath)).root;
  const active = vscode.window.activeTextEditor?.document.uri;
  const models = await store.models();
  if (active?.scheme === 'file') {
    const m = store.modelFor(active.fsPath);
    if (m) return m.root;
  }
  if (models.length === 1) return models[0].root;
  if (!models.length) {
    const picked = await vscode.window.showOpenDialog({
      title: question,
      canSelectFolders: true,
      canSelectFiles: true,
      canSelectMany: false,
    });
    return picked?.[0] ? (await modelTarget(picked[0].fsPath)).root : undefined;
  }
  const pick = await vscode.window.showQuickPick(
    models.map((m) => ({ label: m.name, description: vscode.workspace.asRelativePath(m.root), root: m.root })),
    { title: question },
  );
  return pick?.root;
}

async function confirmOverwrite(file: string): Promise<boolean> {
  if (!fs.existsSync(file)) return true;
  const answer = await vscode.window.showWarningMessage(
    `${path.basename(file)} exists in the model folder. Replace it?`,
    { modal: true },
    'Replace',
  );
  return answer === 'Replace';
}

async function generateSbom(svc: Services, root: string, version: string): Promise<void> {
  const tools = vscode.workspace.isTrusted ? await locateTools(toolLocations(root)) : [];
  const syft = tools.find((t) => t.id === 'syft' && t.path);
  let kind = 'ml-bom';
  if (syft) {
    const pick = await vscode.window.showQuickPick(
      [
        {
          label: 'ML-BOM (CycloneDX 1.6)',
          description: 'model card, weight files with SHA-256, declared Python dependencies',
          choice: 'ml-bom',
        },
        {
          label: 'Packages SBOM with syft',
          description: `everything syft recognises in the folder (${syft.path})`,
          choice: 'syft',
        },
      ],
      { title: 'Generate which SBOM?' },
    );
    if (!pick) return;
    kind = pick.choice;
  }
  const out = path.join(root, kind === 'syft' ? 'syft.cdx.json' : 'sbom.cdx.json');
  if (!(await confirmOverwrite(out))) return;
  const text = await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: kind === 'syft' ? 'Running syft' : 'Generating the ML-BOM',
      cancellable: true,
    },
    async (progress, token) => {
      const ac = new AbortController();
      token.onCancellationRequested(() => ac.abort());
      if (kind === 'syft')
        return (
          await runSyft(syft!.path!, root, { signal: ac.signal, timeoutMs: toolTimeoutMs(vscode.Uri.file(root)) })
        ).raw;
      const { generateMlBom } = await import('../core/sbom/generate.ts'); // the CycloneDX library loads only now
      const r = await generateMlBom(root, {
        signal: ac.signal,
        toolVersion: version,
        onProgress: (message) => progress.report({ message }),
      });
      for (const f of r.findings) svc.log.info(`ML-BOM ${root}: ${f.ruleId} ${f.message}`);
      return r.text;
    },
  );
  fs.writeFileSync(out, text);
  // Not awaited: the command is done when the file is written, whether or not the user clicks.
  void vscode.window.showInformationMessage(`Wrote ${vscode.workspace.asRelativePath(out)}.`, 'Open').then((open) => {
    if (open) void vscode.window.showTextDocument(vscode.Uri.file(out));
  });
}

async function runVulnerabilityScan(svc: Services, root: string): Promise<void> {
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage(
      'External scanners run only in a trusted workspace (a model folder could configure them). Trust the workspace to run grype or trivy.',
    );
    return;
  }
  const tools = await locateTools(toolLocations(root));
  const tool: ToolStatus | undefined =
    tools.find((t) => t.id === 'grype' && t.path) ?? tools.find((t) => t.id === 'trivy' && t.path);
  if (!tool?.path) {
    const choice = await vscode.window.showWarningMessage(
      `Neither grype nor trivy is installed (or set in modelInspect.tools.grypePath / trivyPath). Install one: ${TOOLS.grype.install}`,
      'grype',
      'trivy',
    );
    if (choice) await vscode.env.openExternal(vscode.Uri.parse(TOOLS[choice as 'grype' | 'trivy'].homepage));
    return;
  }
  const out = path.join(root, `${tool.id}.json`);
  if (!(await confirmOverwrite(out))) return;
  try {
    const run = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `Running ${tool.id} (the first run downloads its vulnerability database)`,
        cancellable: true,
      },
      async (_p, token) => {
        const ac = new AbortController();
        token.onCancellationRequested(() => ac.abort());
        // No cwd: each run gets a private folder (the scanners read config files from their working folder).
        const options = { signal: ac.signal, timeoutMs: toolTimeoutMs(vscode.Uri.file(root)) };
        return tool.id === 'grype' ? runGrype(tool.path!, { dir: root }, options) : runTrivy(tool.path!, root, options);
      },
    );
    fs.writeFileSync(out, run.raw);
    void vscode.window.showInformationMessage(
      `${tool.id}: ${run.vulnerabilities.length} vulnerabilit${run.vulnerabilities.length === 1 ? 'y' : 'ies'}; report saved as ${vscode.workspace.asRelativePath(out)}.`,
    );
  } catch (e) {
    if (e instanceof ToolRunError && e.reason === 'cancelled') return;
    svc.log.error(`${tool.id}: ${(e as Error).message}\n${e instanceof ToolRunError ? e.stderr : ''}`);
    throw e;
  }
}

/** Exports the model's verdict from the store: the one shown, unless something it depends on changed since. */
async function exportReport(
  store: ModelStore,
  root: string,
  version: string,
  given?: vscode.Uri,
): Promise<string | undefined> {
  const target =
    given ??
    (await vscode.window.showSaveDialog({
      title: 'Export the promotion gate report',
      defaultUri: vscode.Uri.file(path.join(root, 'gate-report.sarif')),
      filters: { 'SARIF 2.1.0': ['sarif'], 'JSON (model-inspect)': ['json'] },
    }));
  if (!target) return undefined;
  const run = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Running the promotion gate' },
    () => store.current(root),
  );
  if (!run)
    throw new Error(
      store.get(root)?.error === 'cancelled'
        ? 'the gate run was cancelled'
        : `the gate could not judge ${path.basename(root)}: ${store.get(root)?.error ?? 'unknown error'}`,
    );
  const base = path.dirname(target.fsPath);
  // The run's findings have been through the findings step (settings, the policy's rules, inline comments).
  const doc = target.fsPath.endsWith('.json')
    ? toJsonReport(run.findings, base, {
        model: root,
        policy: run.policyFile ?? null,
        verdict: run.verdict.passed ? 'approved' : 'blocked',
        checks: run.verdict.checks.map((c) => ({ id: c.id, title: c.title, status: c.status, reasons: c.reasons })),
        suppressed: run.suppressed.map((f) => toJsonFinding(f, base)),
      })
    : toSarif(run.findings, base, { toolVersion: version, suppressed: run.suppressed });
  fs.writeFileSync(target.fsPath, JSON.stringify(doc, null, 2) + '\n');
  void vscode.window.showInformationMessage(
    `Exported the gate report (${run.verdict.passed ? 'APPROVED' : 'BLOCKED'}) to ${vscode.workspace.asRelativePath(target)}.`,
  );
  return target.fsPath;
}
