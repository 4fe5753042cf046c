#!/usr/bin/env bash
# The one command that runs every check and test: type-check, lint, composition, unit,
# integration (real PostgreSQL and Kafka) and end-to-end (through the router) tests.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
bash scripts/infra.sh up
exec node scripts/test.ts "$@"
