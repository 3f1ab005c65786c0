// Stand-in for ajv-i18n in the bundles: @kubernetes-models/validate localises ajv's error messages
// into English with it, but the k8s engine writes its own messages from each error's keyword and
// params, so the 90 KB of locales would be dead weight. (Aliased in esbuild.js.)
module.exports = { en() {} };
module.exports.default = module.exports;
