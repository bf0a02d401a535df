# One image, two roles: the api (default) and the worker (`docker run … node dist/entry/worker.js`).
# Stage 1 compiles with the dev dependencies; the final stage has production dependencies and dist/ only:
# no TypeScript, no tsx, no sources.
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm run build

FROM node:24-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: no build (pre-)scripts in the final image; dist/ comes from the build stage.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY drizzle ./drizzle
COPY bin ./bin
COPY --from=build /app/dist ./dist
USER node
EXPOSE 4242
# node directly (not npm) as PID 1: SIGTERM reaches it and shutdown is graceful.
CMD ["node", "dist/entry/api.js"]
