# Installs what building and testing Rapport needs, skipping whatever is already there.
# Sourced by ./run.sh and ./test.sh. Only package registries are needed (crates.io, npm,
# Debian): nothing downloads its own binaries at run time.

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

# wasm-bindgen-cli is built unoptimised (`--debug`): it spends its own time in seconds,
# while an optimised build of it takes twice as long to compile.
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
# names, then brotli and gzip copies of every file, so the server never compresses a bundle
# per request. These are the steps `cargo leptos build --release` takes, with the settings of
# `[workspace.metadata.leptos]` in Cargo.toml (which `cargo leptos watch` still reads); run
# directly, a fresh machine skips compiling cargo-leptos itself (ten minutes of its twenty).
# The server and the bundle compile side by side: each spends long stretches on one core.
# Sets SITE_ROOT.
release_build() {
  local target="${CARGO_TARGET_DIR:-$ROOT/target}"
  SITE_ROOT="$target/site"
  # Read at compile time by Leptos (the bundle's name); `always-erase-components`.
  export LEPTOS_OUTPUT_NAME=rapport
  local rustflags="--cfg erase_components"
  ensure_wasm_bindgen &
  local tools=$!
  RUSTFLAGS="$rustflags" cargo build --release -p rapport --bin rapport --no-default-features --features ssr &
  local server=$!
  RUSTFLAGS="$rustflags" cargo build -p frontend --lib --target wasm32-unknown-unknown \
    --profile wasm-release --no-default-features --features hydrate
  wait "$server" || { echo "the server build failed" >&2; return 1; }
  wait "$tools" || { echo "installing wasm-bindgen-cli failed" >&2; return 1; }
  local out
  out=$(mktemp -d)
  wasm-bindgen --target=web --out-name=rapport --out-dir="$out" \
    "$target/wasm32-unknown-unknown/wasm-release/frontend.wasm"
  wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
    "$out/rapport_bg.wasm" -o "$out/rapport_bg.wasm"
  node "$ROOT/.ci/site.mjs" "$out" "$SITE_ROOT" "$target/release"
  rm -rf "$out"
  node "$ROOT/.ci/precompress.mjs" "$SITE_ROOT"
}

# wasm-bindgen-cli is installed by `release_build`, beside the compilation.
ensure_build_tools() {
  ensure_rust_targets
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
