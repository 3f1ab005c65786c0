/**
 * What the editor needs to talk to a registry, in one module it loads on first use (a lazily
 * loaded chunk of the extension, `dist/extension-registry.js`): the client, credentials, and the
 * inspections. Registry access is an online action the user asks for; activation needs none of it.
 */
export { chainCredentials, dockerCredentials } from './auth.ts';
export { RegistryClient } from './client.ts';
export { runRemoteGate } from './gate.ts';
export { inspectRemote, resolveDigest } from './remote.ts';
