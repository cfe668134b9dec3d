#!/bin/sh
# The old tool's container flow, end to end, with the built bundle:
# an image's /app holding ./migrate and ./migrations, started with the old
# tool's command line and its DB_* variables.
#
#   npm run build
#   DB_HOST=... DB_PORT=... DB_USER=... DB_PASSWORD=... DB_NAME=... sh examples/flows/container.sh
#
# APP_DIR (default: a new temp dir) plays /app. Each step prints the command
# as a shell would show it, then its output and exit code. Exits non-zero
# when a step does not end as the old tool's users expect.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bundle=${LINK_MIGRATE_BUNDLE:-$root/dist/link-migrate.cjs}
[ -f "$bundle" ] || { echo "container.sh: no $bundle: run 'npm run build' first" >&2; exit 1; }
app=${APP_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/image.XXXXXX")/app}
export CI=true

# The image (examples/docker/Dockerfile): the bundle as ./migrate, the service's migrations, its entrypoint.
mkdir -p "$app"
cp "$bundle" "$app/migrate"
rm -rf "$app/migrations"
cp -R "$root/fixtures/discovery-svc/migrations" "$app/migrations"
cp "$root/examples/docker/entrypoint.sh" "$app/entrypoint.sh"
cp "$root/examples/docker/main.sh" "$app/main"
chmod +x "$app/migrate" "$app/entrypoint.sh" "$app/main"
cd "$app"

# step EXPECTED-EXIT COMMAND...: runs it, shows it, checks its exit code.
step() {
  want=$1
  shift
  printf '\n$ %s\n' "$*"
  set +e
  "$@" 2>&1
  got=$?
  set -e
  printf '[exit %s]\n' "$got"
  [ "$got" = "$want" ] || { echo "container.sh: expected exit $want" >&2; exit 1; }
}

echo "# env: DB_HOST=${DB_HOST:-} DB_PORT=${DB_PORT:-} DB_USER=${DB_USER:-} DB_PASSWORD=*** DB_NAME=${DB_NAME:-} CI=true"
echo "# /app: entrypoint.sh main migrate migrations/ ($(find migrations -name '*.sql' | wc -l | tr -d ' ') files of discovery-svc)"

# 1. The old tool's entrypoint line, unchanged.
step 0 ./migrate -action=up -service=discovery-svc
# 2. A second replica (or a restart): nothing to do.
step 0 ./migrate -action=up -service=discovery-svc
step 0 ./migrate -action=status -service=discovery-svc
step 0 ./migrate -action=verify -service=discovery-svc
# 3. The same image without -service: "app" would be derived from /app/migrations; refused, naming the recorded service.
step 2 ./migrate -action=up
# 4. The entrypoint of examples/docker: the service named by MIGRATE_SERVICE, `up --wait 60`, then the service.
step 0 env MIGRATE_SERVICE=discovery-svc ./entrypoint.sh
# 5. A rollback of the last migration and its re-apply, with the old tool's flags.
step 0 ./migrate -action=down -service=discovery-svc
step 0 ./migrate -action=up -service=discovery-svc
