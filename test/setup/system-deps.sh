#!/usr/bin/env bash
# Installs the Debian packages the tests drive for real, when they are missing:
#   chromium            webview and VS Code UI tests (driven by playwright-core; no browser download)
#   prometheus          scrapes `leak-inspector watch` in the metrics test
#   build-essential, python3, pkg-config, libkrb5-dev
#                       code-server's native modules are built from source (their prebuilt
#                       downloads cannot be reached from here)
# Runs before `npm test`; a no-op when everything is present.
set -euo pipefail
declare -A needs=(
  [chromium]=/usr/bin/chromium
  [prometheus]=/usr/bin/prometheus
  [build-essential]=/usr/bin/g++
  [python3]=/usr/bin/python3
  [pkg-config]=/usr/bin/pkg-config
  [libkrb5-dev]=/usr/include/krb5.h
)
missing=()
for pkg in "${!needs[@]}"; do
  [[ -e "${needs[$pkg]}" ]] || missing+=("$pkg")
done
((${#missing[@]} == 0)) && exit 0
echo "system-deps: installing ${missing[*]}" >&2
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null; then SUDO=sudo; else
    echo "system-deps: need root to install: apt-get install ${missing[*]}" >&2; exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
${SUDO:-} apt-get update -qq >/dev/null 2>&1 || true
${SUDO:-} apt-get install -y -qq "${missing[@]}" >/dev/null
