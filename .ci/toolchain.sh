# Installs what building and testing Rapport needs, skipping whatever is already there.
# Sourced by ./run.sh and ./test.sh. Only package registries are needed (crates.io, npm,
# Debian): nothing downloads its own binaries at run time.

CARGO_LEPTOS_VERSION=0.3.10
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$ROOT/end2end/node_modules/.bin:$PATH"

log() { printf '\033[1m==> %s\033[0m\n' "$*"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]} from Debian"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

ensure_rust_targets() {
  rustup target list --installed | grep -q wasm32-unknown-unknown ||
    { log "adding the wasm32 target"; rustup target add wasm32-unknown-unknown; }
  rustup component list --installed | grep -q '^clippy' || rustup component add clippy rustfmt
}

# Both tools are built unoptimised (`--debug`): they drive the compiler and spend their own
# time in seconds, while an optimised build of them takes twice as long to compile.
ensure_cargo_leptos() {
  if ! cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
    log "installing cargo-leptos $CARGO_LEPTOS_VERSION (about 9 minutes, once)"
    cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked --debug
  fi
}

# wasm-bindgen-cli must match the wasm-bindgen in Cargo.lock exactly.
ensure_wasm_bindgen() {
  local want
  want=$(grep -A1 '^name = "wasm-bindgen"$' "$ROOT/Cargo.lock" | sed -n 's/^version = "\(.*\)"/\1/p')
  if ! wasm-bindgen --version 2>/dev/null | grep -q " $want\$"; then
    log "installing wasm-bindgen-cli $want"
    cargo install wasm-bindgen-cli --version "$want" --debug
  fi
}

# Node packages: wasm-opt (binaryen from npm; Debian's is too old and breaks hydration)
# and the Playwright test runner.
ensure_node_packages() {
  command -v npm >/dev/null || apt_install nodejs npm
  # Installed again whenever the lock file is newer than what node_modules holds.
  if [ ! -f "$ROOT/end2end/node_modules/.package-lock.json" ] ||
    [ "$ROOT/end2end/package-lock.json" -nt "$ROOT/end2end/node_modules/.package-lock.json" ]; then
    log "installing node packages"
    (cd "$ROOT/end2end" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund)
  fi
}

# The release build: the server binary and the browser bundle, with content-hashed file
# names (`hash-files` in Cargo.toml), then brotli and gzip copies of every file, so the
# server never compresses a bundle per request (node's zlib: seconds, where cargo-leptos's
# own `--precompress` takes a minute and a half in the unoptimised build of the tool).
release_build() {
  cargo leptos build --release
  local site="target/site"
  [ -d "$site/pkg" ] || site="${CARGO_TARGET_DIR:-target}/site"
  node "$ROOT/.ci/precompress.mjs" "$site"
}

ensure_build_tools() {
  ensure_rust_targets
  ensure_cargo_leptos
  ensure_wasm_bindgen
  ensure_node_packages
}

ensure_chromium() {
  [ -x /usr/bin/chromium ] || apt_install chromium
}

# PostgreSQL for the integration tests: use the one at DATABASE_URL, or install and start
# Debian's server.
pg_ready() {
  command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432
}

ensure_postgres() {
  # pg_isready, psql and pg_dump (backups are tested on PostgreSQL too).
  command -v pg_dump >/dev/null && command -v pg_isready >/dev/null || apt_install postgresql-client
  if ! pg_ready; then
    apt_install postgresql postgresql-client
    log "starting PostgreSQL"
    local version
    version=$(ls /etc/postgresql | sort -V | tail -1)
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    for _ in $(seq 1 30); do pg_ready && break; sleep 1; done
  fi
  pg_ready || { echo "PostgreSQL is not reachable on 127.0.0.1:5432" >&2; return 1; }
  # Trust or password-less local access is expected; make sure the test database exists.
  if ! psql "postgres://postgres@127.0.0.1:5432/test" -c 'select 1' >/dev/null 2>&1; then
    as_root su postgres -c "psql -c \"ALTER USER postgres PASSWORD 'postgres'\"" >/dev/null 2>&1 || true
    as_root su postgres -c "createdb test" >/dev/null 2>&1 || true
  fi
}
