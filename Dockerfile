# The example app (and, with another command, a sealing worker) for docker-compose.yml.
FROM node:24-bookworm-slim
WORKDIR /app
# The workspace: the root (example app) and the library package it links.
COPY package.json package-lock.json ./
COPY libs/audit/package.json libs/audit/
RUN npm install --no-audit --no-fund
COPY . .
RUN npm run build
ENV NODE_ENV=production
EXPOSE 3000
CMD ["node", "dist/src/main.js"]
