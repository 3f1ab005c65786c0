import * as assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { ruleInfo } from '../../../src/core/rules.ts';
import {
  activateExtension,
  applyCodeAction,
  describe,
  fixtureUri,
  hoverTexts,
  openFixture,
  ourDiagnostics,
  quickFixes,
  resetEditors,
  ruleIdOf,
  waitFor,
  waitForDiagnostics,
  waitForRule,
} from './util.ts';

const CARD = 'model-card.yaml';
/** The fixture's duplicate `name:` (0-based line; see the comment at the top of the fixture). */
const DUPLICATE_LINE = 5;

suite(`foundation inside a real VS Code ${vscode.version} (${vscode.env.appName})`, () => {
  teardown(resetEditors);

  test('the extension activates and contributes its commands', async () => {
    const ext = await activateExtension();
    assert.equal(ext.isActive, true);
    const commands = await vscode.commands.getCommands(true);
    assert.ok(commands.includes('modelInspect.showRuleHelp'), 'modelInspect.showRuleHelp is registered');
  });

  test('activation loads extension.js alone: online signing, the ML-BOM and the Python parser wait for first use', async () => {
    const ext = await activateExtension();
    // The extension host's module cache is this process's: every file of the extension that was
    // required so far (this suite runs first, before any test opens a Python file or signs).
    const dist = path.join(ext.extensionPath, 'dist') + path.sep;
    const loaded = Object.keys(require.cache)
      .filter((f) => f.startsWith(dist))
      .map((f) => f.slice(dist.length))
      .sort();
    const bytes = loaded.reduce((n, f) => n + fs.statSync(path.join(dist, f)).size, 0);
    console.log(`      activation loaded ${loaded.length} file(s) of dist/ (${loaded.join(', ')}; ${bytes} bytes)`);
    assert.deepEqual(loaded, ['extension.js']);
  });

  test('the Get Started walkthrough is contributed, its media ship with the extension, and it opens', async () => {
    const ext = await activateExtension();
    const pkg = ext.packageJSON as {
      contributes: {
        walkthroughs?: {
          id: string;
          title: string;
          steps: { id: string; media: { image?: string; markdown?: string } }[];
        }[];
      };
    };
    const walk = pkg.contributes.walkthroughs?.find((w) => w.id === 'getStarted');
    assert.ok(walk, 'contributes.walkthroughs has getStarted');
    assert.ok(walk.steps.length >= 4);
    for (const step of walk.steps) {
      const media = step.media.image ?? step.media.markdown ?? '';
      assert.ok(
        fs.existsSync(path.join(ext.extensionPath, media)),
        `${step.id}: ${media} is in the installed extension`,
      );
    }
    // VS Code knows it by <publisher>.<name>#<id>; opening it must not throw.
    await vscode.commands.executeCommand('workbench.action.openWalkthrough', `${ext.id}#${walk.id}`, false);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('a model card gets diagnostics whose code is the rule id, linked to its help', async () => {
    const { doc } = await openFixture(CARD);
    const dup = await waitForRule(doc.uri, 'yaml/duplicate-key');
    assert.equal(
      dup.range.start.line,
      DUPLICATE_LINE,
      `duplicate key reported at the second "name" (saw ${describe(ourDiagnostics(doc.uri))})`,
    );
    assert.equal(doc.getText(dup.range), 'name');
    assert.equal(dup.severity, vscode.DiagnosticSeverity.Error);
    for (const d of ourDiagnostics(doc.uri)) {
      const id = ruleIdOf(d);
      assert.match(id ?? '', /^[a-z][a-z0-9]*\/[a-z0-9-]+$/, `diagnostic "${d.message}" carries a rule id as code`);
      assert.ok(ruleInfo(id!)?.help, `rule ${id} has help in the catalogue`);
      assert.ok(
        typeof d.code === 'object' && d.code.target.scheme === 'model-inspect-rule',
        `${id} links to its help document`,
      );
    }
  });

  test('the "Suppress … on this line" quick fix silences exactly that diagnostic', async () => {
    const { doc } = await openFixture(CARD);
    const dup = await waitForRule(doc.uri, 'yaml/duplicate-key');
    const others = ourDiagnostics(doc.uri).filter((d) => d !== dup).length;
    const actions = await quickFixes(doc.uri, dup.range);
    const suppress = actions.find((a) => a.title === 'Suppress yaml/duplicate-key on this line');
    assert.ok(suppress, `suppress action offered (got: ${actions.map((a) => a.title).join(' | ') || 'none'})`);
    await applyCodeAction(suppress);
    assert.equal(doc.lineAt(DUPLICATE_LINE).text, '  # model-inspect-disable-next-line yaml/duplicate-key');
    const after = await waitForDiagnostics(doc.uri, (ds) => !ds.some((d) => ruleIdOf(d) === 'yaml/duplicate-key'));
    assert.equal(after.length, others, `only the suppressed diagnostic went away (now: ${describe(after)})`);
  });

  test('hovering a flagged range shows the rule help', async () => {
    const { doc } = await openFixture(CARD);
    const dup = await waitForRule(doc.uri, 'yaml/duplicate-key');
    const texts = await hoverTexts(doc.uri, dup.range.start.translate(0, 1));
    const ours = texts.find((t) => t.includes('yaml/duplicate-key'));
    assert.ok(ours, `a hover names the rule (got ${JSON.stringify(texts).slice(0, 300)})`);
    assert.ok(ours.includes(ruleInfo('yaml/duplicate-key')!.help.slice(0, 40)), 'the hover carries the rule help');
  });

  test('modelInspect.showRuleHelp opens the rule help document', async () => {
    await vscode.commands.executeCommand('modelInspect.showRuleHelp', 'yaml/duplicate-key');
    const help = await waitFor('the rule help document', () =>
      vscode.workspace.textDocuments.find(
        (d) => d.uri.scheme === 'model-inspect-rule' && d.uri.path === '/yaml/duplicate-key.md',
      ),
    );
    assert.equal(help.languageId, 'markdown');
    assert.match(help.getText(), /^# Duplicate key\n/);
    assert.match(help.getText(), /modelInspect\.rules\.severity/);
  });

  test('diagnostics are cleared when the document closes', async () => {
    const { doc } = await openFixture(CARD);
    await waitForDiagnostics(doc.uri);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await waitFor('the model card to close', () => doc.isClosed);
    assert.deepEqual(ourDiagnostics(fixtureUri(CARD)).map(ruleIdOf), []);
  });
});
