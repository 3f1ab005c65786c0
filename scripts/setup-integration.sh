#!/usr/bin/env bash
# Installs what the integration layers need on a fresh Debian machine, idempotently:
#   - Debian's chromium (driven by playwright-core), and the headers/tools code-server's native modules build with
#   - Debian's python3 with numpy and joblib: the scanner's tests run the real loaders on hand-made files
#     (torch is not installed: python3-torch pulls in 173 packages, Qt and OpenCV among them)
#   - code-server 4.100.3 (= VS Code 1.100.3, the newest whose engines accept Node 20) into ./.code-server (git-ignored)
# Nothing here downloads a browser or a VS Code build: both come from apt and the npm registry.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CODE_SERVER_VERSION="${CODE_SERVER_VERSION:-4.100.3}"
CODE_SERVER_DIR="${CODE_SERVER_DIR:-$ROOT/.code-server}"

need_apt=0
command -v chromium >/dev/null 2>&1 || need_apt=1
command -v rg >/dev/null 2>&1 || need_apt=1
dpkg -s libkrb5-dev >/dev/null 2>&1 || need_apt=1
dpkg -s python3-numpy python3-joblib >/dev/null 2>&1 || need_apt=1
# docker-registry (CNCF Distribution 2.8): the registry tests start their own instance on 127.0.0.1.
[ -x /usr/bin/docker-registry ] || need_apt=1
if [ "$need_apt" = 1 ]; then
  as_root=()
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then as_root=(sudo); else
      echo "setup-integration: apt-get needs root (chromium libkrb5-dev ripgrep python3 python3-numpy python3-joblib make g++ pkg-config docker-registry)" >&2; exit 1
    fi
  fi
  echo "setup-integration: installing chromium libkrb5-dev ripgrep docker-registry … with apt-get (about 90 s)"
  "${as_root[@]}" apt-get update -q
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium libkrb5-dev ripgrep python3 make g++ pkg-config docker-registry
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3-numpy python3-joblib
  # The package enables a system service on port 5000; the tests never use it (each starts its own).
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    "${as_root[@]}" systemctl disable --now docker-registry >/dev/null 2>&1 || true
  fi
fi

# @vscode/ripgrep's postinstall downloads rg from GitHub, which is unreachable here. It first looks in
# $TMPDIR/vscode-ripgrep-cache-<version>/ for the release tarball, so seed that with Debian's rg.
seed_rg() {
  local dir="${TMPDIR:-/tmp}/vscode-ripgrep-cache-$1" tmp
  local tgz="$dir/ripgrep-$2-x86_64-unknown-linux-musl.tar.gz"
  [ -f "$tgz" ] && return 0
  mkdir -p "$dir"; tmp="$(mktemp -d)"; cp "$(command -v rg)" "$tmp/rg"
  tar czf "$tgz" -C "$tmp" rg; rm -rf "$tmp"
}
seed_rg 1.15.11 v13.0.0-10

# The postinstall of code-server builds native modules; as root it needs unsafe-perm, and node-pty's
# `npx node-gyp` needs npm_config_yes because ~/.npmrc may say yes=false. The postinstall is done
# when lib/vscode/extensions/node_modules exists; a different installed version is replaced.
installed_version() {
  node -p "require('$CODE_SERVER_DIR/node_modules/code-server/package.json').version" 2>/dev/null || true
}
if [ ! -d "$CODE_SERVER_DIR/node_modules/code-server/lib/vscode/extensions/node_modules" ] \
   || [ "$(installed_version)" != "$CODE_SERVER_VERSION" ]; then
  echo "setup-integration: installing code-server $CODE_SERVER_VERSION into $CODE_SERVER_DIR (about 100 s with a cold npm cache)"
  mkdir -p "$CODE_SERVER_DIR"
  [ -f "$CODE_SERVER_DIR/package.json" ] || echo '{"private":true}' > "$CODE_SERVER_DIR/package.json"
  ( cd "$CODE_SERVER_DIR" && npm_config_unsafe_perm=true npm_config_yes=true \
      npm install --no-audit --no-fund --loglevel=error "code-server@$CODE_SERVER_VERSION" )
  # Smoke check; code-server writes config and logs under $HOME even for --version, so give it a temp one.
  tmp_home="$(mktemp -d)"
  HOME="$tmp_home" XDG_CONFIG_HOME="$tmp_home/.config" XDG_DATA_HOME="$tmp_home/.local/share" \
    node "$CODE_SERVER_DIR/node_modules/code-server/out/node/entry.js" --version \
    --user-data-dir "$tmp_home/ud" --config /dev/null >/dev/null
  rm -rf "$tmp_home"
fi
echo "setup-integration: chromium $(chromium --version 2>/dev/null | awk '{print $2}'), code-server $(installed_version) in $CODE_SERVER_DIR, $(/usr/bin/docker-registry --version 2>/dev/null | awk '{print $1, $3}')"
