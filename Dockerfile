# One image for every service: the gateway and each subgraph run `node <entry>.ts` on Node 24.
FROM node:24-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# npm 11 writes lockfiles without other platforms' optional @unrs/resolver-binding-* entries and then
# `npm ci` refuses them as out of sync (see .ci/run). In that one case install from the same lockfile
# with `npm install`, which keeps every pinned version; any other failure fails the build.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund 2>/tmp/npm-ci.err \
 || { cat /tmp/npm-ci.err >&2; grep -q "Missing: @unrs/resolver-binding" /tmp/npm-ci.err \
      && npm install --omit=dev --ignore-scripts --no-audit --no-fund; }
COPY . .
# The data directory (keys live in the mesh-keys named volume at /data/keys) must belong to the
# runtime user: a fresh named volume takes the ownership of the image's directory.
RUN mkdir -p /data/keys && chown -R node:node /data
USER node
