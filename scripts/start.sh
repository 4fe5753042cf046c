#!/usr/bin/env bash
# The one command that runs the whole system on this machine: dependencies, PostgreSQL and its
# databases, the Kafka broker, migrations, every subgraph, the router and a first admin.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
bash scripts/infra.sh up
exec node scripts/start.ts
