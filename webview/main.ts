import { ReportApp, type VsCodeApi } from './app.ts';
import { registerToolkit } from './ui/toolkit.ts';

declare function acquireVsCodeApi(): VsCodeApi;

// Entry point of dist/webview.js (browser, iife). acquireVsCodeApi may be called only once.
registerToolkit();
const api = acquireVsCodeApi();
const root = document.getElementById('app');
if (root) new ReportApp(api, root).start(api.getState());
