#!/bin/sh
# Migrate, then become the service. `--wait 60` retries a real login until
# PostgreSQL accepts it (no `nc -z` loop); several replicas may start at once:
# the advisory lock makes each migration run exactly once.
set -e
cd "$(dirname "$0")"
./migrate up --wait "${MIGRATE_WAIT:-60}" && exec ./main "$@"
