# Installs Debian's Chromium for the Playwright UI suites (test/ui) and exports KLI8NT_TEST_CHROMIUM
# (sourced by test.sh). playwright-core drives it; `npx playwright install` cannot download browsers here.
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

start_chromium() {
  if [[ ! -x /usr/bin/chromium ]]; then
    log "installing chromium (missing /usr/bin/chromium)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y --no-install-recommends chromium fonts-dejavu-core >/dev/null 2>&1 || {
      apt-get update >/dev/null 2>&1
      apt-get install -y --no-install-recommends chromium fonts-dejavu-core >/dev/null
    }
  fi
  /usr/bin/chromium --version >&2
  export KLI8NT_TEST_CHROMIUM=/usr/bin/chromium
}

# Nothing keeps running: each suite launches and closes its own browser.
stop_chromium() {
  unset KLI8NT_TEST_CHROMIUM
}
