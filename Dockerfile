# One image, two roles: the api (`npm run start:api`) and the worker (`npm run start:worker`).
FROM node:24-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY tsconfig.json ./
COPY drizzle ./drizzle
COPY src ./src
USER node
EXPOSE 4242
# node directly (not npm) so that SIGTERM reaches the process and shutdown is graceful.
CMD ["node", "--import", "tsx", "src/api/server.ts"]
