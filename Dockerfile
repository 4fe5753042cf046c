# One image for every service of the monorepo; the compose file picks the entry point.
FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production KAFKAJS_NO_PARTITIONER_WARNING=1 NODE_OPTIONS=--disable-warning=TimeoutNegativeWarning
COPY package.json package-lock.json ./
COPY packages/platform/package.json packages/platform/
COPY subgraphs/users/package.json subgraphs/users/
COPY subgraphs/patients/package.json subgraphs/patients/
COPY subgraphs/notifications/package.json subgraphs/notifications/
COPY router/package.json router/
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund
COPY . .
USER node
