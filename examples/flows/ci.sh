#!/bin/sh
# The CI flow, end to end, with the built bundle: what a pull request's job
# runs before a deploy. Offline checks first (no database), then the old
# tool's dry-run against the database the deploy will migrate, then a gate.
#
#   npm run build
#   DATABASE_URL=postgres://... sh examples/flows/ci.sh
#
# Each step prints the command, its output and exit code. Exits non-zero
# when a step does not end as expected.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bundle=${LINK_MIGRATE_BUNDLE:-$root/dist/link-migrate.cjs}
[ -f "$bundle" ] || { echo "ci.sh: no $bundle: run 'npm run build' first" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/ci.XXXXXX")
cp "$bundle" "$work/migrate"
chmod +x "$work/migrate"
mkdir -p "$work/backend"
cp -R "$root/fixtures/discovery-svc" "$work/backend/discovery-svc"
cd "$work/backend"
export CI=true

# step EXPECTED-EXIT COMMAND...: runs it, shows it, checks its exit code;
# a single argument is a shell line (shown as written).
step() {
  want=$1
  shift
  printf '\n$ %s\n' "$*"
  set +e
  if [ $# -eq 1 ]; then sh -c "$1" 2>&1; else "$@" 2>&1; fi
  got=$?
  set -e
  printf '[exit %s]\n' "$got"
  [ "$got" = "$want" ] || { echo "ci.sh: expected exit $want" >&2; exit 1; }
}

printf '# env: DATABASE_URL=%s CI=true\n' "$(printf '%s' "${DATABASE_URL:-}" | sed 's#://\([^:/@]*\):[^@]*@#://\1:***@#')"

# The database as production has it: discovery-svc at version 7.
step 0 ../migrate up --service discovery-svc --quiet
# The pull request adds one migration.
cat > discovery-svc/migrations/008_add_listing_featured.up.sql <<'SQL'
-- link-migrate:lock-timeout 5s
ALTER TABLE listings ADD COLUMN featured boolean NOT NULL DEFAULT false;
SQL
cat > discovery-svc/migrations/008_add_listing_featured.down.sql <<'SQL'
-- link-migrate:lock-timeout 5s
ALTER TABLE listings DROP COLUMN featured;
SQL
printf '\n# the pull request adds discovery-svc/migrations/008_add_listing_featured.{up,down}.sql\n'

# From the monorepo root, as the old shared CLI ran: -service finds discovery-svc/migrations.
# 1. Offline: the pull request's files (annotations on its lines).
step 0 ../migrate lint --format github discovery-svc/migrations/008_add_listing_featured.up.sql discovery-svc/migrations/008_add_listing_featured.down.sql
# 2. Offline: every down undoes its up, on an embedded PostgreSQL (with a server given, a scratch database there).
step 0 ../migrate check --service discovery-svc --engine embedded
# 3. The old tool's CI step: the plan against the database, nothing written.
step 0 ../migrate -action=up -dry-run -service=discovery-svc
# 4. A gate for the deploy job: exit 4 while migrations are pending.
step 4 ../migrate status --service discovery-svc --exit-code
# 5. The deploy; what a script reads: the last line of up --json is the result.
step 0 '../migrate up --service discovery-svc --json | tail -n 1'
step 0 ../migrate status --service discovery-svc --exit-code
step 0 ../migrate verify --service discovery-svc
