import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { RegistryClient } from '../core/registry/client.ts';
import { formatReference, isRegistryHost, tryParseReference } from '../core/registry/reference.ts';
import type { RemoteInspectOptions, RemoteModel } from '../core/registry/remote.ts';
import type { Services } from './services.ts';
import { setting, trustedPathSetting } from './settings.ts';
import { settingsLayer } from './expectations.ts';
import type { ReportPanels } from './reportPanel.ts';
import { policyLayer } from '../core/gate/index.ts';
import { loadPolicy, type LoadedPolicy } from '../core/gate/policy.ts';
import { trustFromExpectations } from '../core/registry/trust.ts';
import type { ModelReport } from '../core/report/model.ts';
import { resolveExpectations, type Expectations } from '../core/signing/expectations.ts';

/**
 * Models in registries, in the editor: **Inspect Model in Registry…** (a reference typed or picked
 * from the recent ones), and **Verify in registry** on image references in YAML files (model cards,
 * workflows, Kubernetes manifests), as a CodeLens and in the hover. Going online is asked once per
 * workspace, and never happens in an untrusted workspace or in the background.
 */

export const INSPECT_COMMAND = 'modelInspect.registry.inspect';
export const VERIFY_COMMAND = 'modelInspect.registry.verify';
const RECENT_KEY = 'modelInspect.registry.recent';
const CONSENT_KEY = 'modelInspect.registry.onlineAllowed';
const MAX_RECENT = 10;
const MAX_LENSES = 200;

/** `key: value` lines whose value is a registry reference with an explicit host (`ghcr.io/…`, `localhost:5000/…`). */
const REF_LINE =
  /^(\s*(?:-\s+)?[\w.-]+\s*:\s*|\s*-\s+)(["']?)((?:oci:\/\/)?[a-z0-9][\w.-]*(?::\d+)?\/[\w./:@-]+)\2\s*(?:#.*)?$/i;

/** Image references in a YAML document: the range of each reference and its text. */
export function findReferences(text: string): { line: number; start: number; end: number; reference: string }[] {
  const out: { line: number; start: number; end: number; reference: string }[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length && out.length < MAX_LENSES; i++) {
    const m = REF_LINE.exec(lines[i]);
    if (!m) continue;
    const ref = m[3];
    const first = ref.replace(/^oci:\/\//i, '').split('/')[0];
    if (!/^oci:\/\//i.test(ref) && !isRegistryHost(first)) continue;
    if (!tryParseReference(ref)) continue;
    const start = m[1].length + m[2].length;
    out.push({ line: i, start, end: start + ref.length, reference: ref });
  }
  return out;
}

/** The registry client and inspections, loaded on first use (the extension-registry chunk). */
function registryModule(): Promise<typeof import('../core/registry/online.ts')> {
  return import('../core/registry/online.ts');
}

/** A client from the settings: Docker's config and its helpers (trusted workspace only), a CA, insecure hosts. */
export async function clientFromSettings(
  svc: Services,
  registry: string,
  signal?: AbortSignal,
): Promise<RegistryClient> {
  const { RegistryClient, chainCredentials, dockerCredentials } = await registryModule();
  const ca = setting<string>('registry.caCertificate', '').trim();
  const base = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '.';
  const insecure = setting<string[]>('registry.insecureRegistries', []);
  return new RegistryClient({
    credentials: chainCredentials(dockerCredentials({ allowHelpers: vscode.workspace.isTrusted })),
    ca: ca ? fs.readFileSync(path.resolve(base, ca)) : undefined,
    allowInsecure: Array.isArray(insecure) && insecure.includes(registry),
    signal,
    onRequest: (e) => svc.log.trace(`registry: ${e.method} ${e.url} ${e.status ?? e.error ?? ''}`),
  });
}

/** Asks once per workspace before the first registry request; false when the user says no. */
async function consent(svc: Services, registry: string): Promise<boolean> {
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage(
      'Model Inspect: registry access is disabled in an untrusted workspace. Trust the workspace to verify or inspect models in registries.',
    );
    return false;
  }
  if (svc.context.workspaceState.get<boolean>(CONSENT_KEY)) return true;
  const allow = 'Allow for This Workspace';
  const answer = await vscode.window.showInformationMessage(
    `Model Inspect will contact ${registry} to read the model and its signatures (an online action). Registry access happens only when you ask for it.`,
    { modal: true },
    allow,
  );
  if (answer !== allow) return false;
  await svc.context.workspaceState.update(CONSENT_KEY, true);
  return true;
}

async function remember(svc: Services, ref: string): Promise<void> {
  const recent = svc.context.globalState.get<string[]>(RECENT_KEY, []).filter((r) => r !== ref);
  await svc.context.globalState.update(RECENT_KEY, [ref, ...recent].slice(0, MAX_RECENT));
}

/** Asks for a reference: the recent ones to pick from, or a new one typed (validated as it is typed). */
async function askReference(svc: Services): Promise<string | undefined> {
  const recent = svc.context.globalState.get<string[]>(RECENT_KEY, []);
  const qp = vscode.window.createQuickPick();
  qp.title = 'Inspect Model in Registry';
  qp.placeholder = 'ghcr.io/org/model:tag or ghcr.io/org/model@sha256:…';
  qp.items = recent.map((r) => ({ label: r, description: 'recent' }));
  return new Promise<string | undefined>((resolve) => {
    qp.onDidChangeValue((v) => {
      const typed = v.trim();
      const items = recent.filter((r) => r.includes(typed)).map((r) => ({ label: r, description: 'recent' }));
      if (typed && !recent.includes(typed))
        items.unshift({ label: typed, description: tryParseReference(typed) ? 'inspect' : 'not a reference' });
      qp.items = items;
    });
    qp.onDidAccept(() => {
      const v = (qp.selectedItems[0]?.label ?? qp.value).trim();
      if (!tryParseReference(v)) {
        qp.title = `Inspect Model in Registry: not a registry reference: ${v}`;
        return;
      }
      resolve(v);
      qp.hide();
    });
    qp.onDidHide(() => {
      resolve(undefined);
      qp.dispose();
    });
    qp.show();
  });
}

/** Runs one inspection with progress and cancel. */
export async function runInspection(
  svc: Services,
  ref: string,
  opts: RemoteInspectOptions,
): Promise<RemoteModel | undefined> {
  const parsed = tryParseReference(ref);
  if (!parsed) throw new Error(`not a registry reference: ${ref}`);
  if (!(await consent(svc, parsed.registry))) return undefined;
  await remember(svc, ref);
  return vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: `Model Inspect: ${formatReference(parsed)}`,
      cancellable: true,
    },
    async (progress, token) => {
      const ac = new AbortController();
      token.onCancellationRequested(() => ac.abort());
      const client = await clientFromSettings(svc, parsed.registry, ac.signal);
      svc.log.info(`online: reading ${parsed.registry} for ${ref} (asked for)`);
      try {
        return await (
          await registryModule()
        ).inspectRemote(client, ref, {
          ...opts,
          signal: ac.signal,
          onProgress: (message) => progress.report({ message }),
        });
      } finally {
        client.close();
      }
    },
  );
}

function summary(m: RemoteModel): { ok: boolean; text: string } {
  const sigs = m.attachments?.signatures ?? [];
  const good = sigs.filter((s) => s.verified);
  if (!m.digest)
    return { ok: false, text: m.findings.find((f) => f.severity === 'error')?.message ?? 'could not be read' };
  if (good.length)
    return {
      ok: true,
      text: `${m.pinned}: signed by ${[...new Set(good.map((s) => s.identity ?? s.key ?? 'a trusted key'))].join(', ')}`,
    };
  const why = sigs.flatMap((s) => s.failures)[0];
  return {
    ok: false,
    text: `${m.pinned}: ${sigs.length ? `not verified (${why ?? 'no signature verified'})` : 'no signature found'}`,
  };
}

/** What a registry signature must show in the editor: the settings, then the workspace's promotion policy (as Verify… and the gate). */
export async function registryExpectations(): Promise<{ expectations: Expectations; policy: LoadedPolicy }> {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const scope = folder ?? vscode.Uri.file(process.cwd());
  const file = trustedPathSetting('gate.policyFile', scope);
  // A reference has no folder: the search starts in the workspace folder itself and stops there.
  const policy = await loadPolicy(path.join(scope.fsPath, 'registry-reference'), {
    file,
    stopAt: scope.fsPath,
    search: vscode.workspace.isTrusted
      ? true
      : 'the workspace is not trusted, so its .model-inspect.yaml files are not used',
  });
  return { expectations: resolveExpectations([settingsLayer(scope), policyLayer(policy, scope.fsPath)]), policy };
}

/** The report panel's content for a reference: the promotion gate on it, as `model-inspect gate REF`. */
async function remoteReport(
  svc: Services,
  ref: string,
  signal: AbortSignal,
  onProgress: (m: string) => void,
): Promise<ModelReport> {
  const parsed = tryParseReference(ref);
  if (!parsed) throw new Error(`not a registry reference: ${ref}`);
  const { expectations, policy } = await registryExpectations();
  const client = await clientFromSettings(svc, parsed.registry, signal);
  svc.log.info(`online: reading ${parsed.registry} for ${ref} (asked for)`);
  try {
    const run = await (
      await registryModule()
    ).runRemoteGate(client, ref, {
      policy,
      trust: trustFromExpectations(expectations),
      expectations,
      signal,
      onProgress,
    });
    for (const f of run.model.findings) svc.log.info(`${f.severity} ${f.ruleId} ${f.message}`);
    return JSON.parse(
      JSON.stringify({
        generatedAt: new Date().toISOString(),
        evidence: run.evidence,
        verdict: run.verdict,
        policyFile: policy.file,
        policyFindings: policy.findings,
        findings: run.verdict.findings,
        suppressed: [],
      }),
    ) as ModelReport;
  } finally {
    client.close();
  }
}

export function registerRegistry(svc: Services, panels?: ReportPanels): void {
  const openReport = panels
    ? async (ref: string) => {
        const parsed = tryParseReference(ref);
        if (!parsed || !(await consent(svc, parsed.registry))) return;
        panels.showRemote({
          reference: ref,
          build: (signal, onProgress) => remoteReport(svc, ref, signal, onProgress),
        });
      }
    : undefined;
  const command = (id: string, fn: (...args: unknown[]) => Promise<unknown>) =>
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        await fn(...args);
      } catch (e) {
        svc.log.error(`${id}: ${(e as Error).stack ?? e}`);
        void vscode.window.showErrorMessage(`Model Inspect: ${(e as Error).message}`);
      }
    });
  const changed = new vscode.EventEmitter<void>();
  svc.context.subscriptions.push(
    changed,
    vscode.workspace.onDidGrantWorkspaceTrust(() => changed.fire()),
  );
  svc.context.subscriptions.push(
    command(INSPECT_COMMAND, async (arg) => {
      if (!vscode.workspace.isTrusted) {
        await consent(svc, '');
        return;
      }
      const ref = typeof arg === 'string' ? arg : await askReference(svc);
      if (!ref) return;
      if (openReport) {
        await remember(svc, ref);
        await openReport(ref);
        return;
      }
      const m = await runInspection(svc, ref, {
        scan: true,
        trust: trustFromExpectations((await registryExpectations()).expectations),
      });
      if (m) void vscode.window.showInformationMessage(`Model Inspect: ${summary(m).text}`);
    }),
    command(VERIFY_COMMAND, async (arg) => {
      if (typeof arg !== 'string') return;
      const m = await runInspection(svc, arg, {
        scan: false,
        trust: trustFromExpectations((await registryExpectations()).expectations),
      });
      if (!m) return;
      const s = summary(m);
      for (const f of m.findings) svc.log.info(`${f.severity} ${f.ruleId} ${f.message}`);
      const details = 'Show Details';
      const open = 'Open Report';
      const pick = await (s.ok
        ? vscode.window.showInformationMessage(`Verified in registry: ${s.text}`, details, open)
        : vscode.window.showWarningMessage(`Not verified in registry: ${s.text}`, details, open));
      if (pick === details) svc.log.show(true);
      if (pick === open) await vscode.commands.executeCommand(INSPECT_COMMAND, arg);
    }),
    vscode.languages.registerCodeLensProvider(
      { language: 'yaml' },
      {
        onDidChangeCodeLenses: changed.event,
        provideCodeLenses(doc) {
          if (!vscode.workspace.isTrusted || !setting<boolean>('registry.codeLens', true, doc.uri)) return [];
          return findReferences(doc.getText()).map(
            (r) =>
              new vscode.CodeLens(new vscode.Range(r.line, r.start, r.line, r.end), {
                title: 'Verify in registry',
                command: VERIFY_COMMAND,
                arguments: [r.reference],
                tooltip: `Read the signatures of ${r.reference} from its registry (online)`,
              }),
          );
        },
      },
    ),
    vscode.languages.registerHoverProvider(
      { language: 'yaml' },
      {
        provideHover(doc, pos) {
          if (!vscode.workspace.isTrusted) return undefined;
          const r = findReferences(doc.lineAt(pos.line).text).find(
            (x) => pos.character >= x.start && pos.character <= x.end,
          );
          if (!r) return undefined;
          const md = new vscode.MarkdownString(
            `[Verify in registry](command:${VERIFY_COMMAND}?${encodeURIComponent(JSON.stringify([r.reference]))}) · [Inspect](command:${INSPECT_COMMAND}?${encodeURIComponent(JSON.stringify([r.reference]))}) — reads ${tryParseReference(r.reference)?.registry ?? 'the registry'} (online)`,
          );
          md.isTrusted = { enabledCommands: [VERIFY_COMMAND, INSPECT_COMMAND] };
          return new vscode.Hover(md, new vscode.Range(pos.line, r.start, pos.line, r.end));
        },
      },
    ),
  );
}
