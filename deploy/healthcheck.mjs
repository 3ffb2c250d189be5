// The image's HEALTHCHECK: GET /health/live on the port this container's process serves. The
// broker serves on PORT (3000); the worker on WORKER_PORT (3001), which compose names HEALTH_PORT.
/* global fetch, AbortSignal -- Node 24 has both */
const port = process.env.HEALTH_PORT || process.env.PORT || '3000';
fetch(`http://127.0.0.1:${port}/health/live`, { signal: AbortSignal.timeout(4000) }).then(
  (response) => process.exit(response.ok ? 0 : 1),
  () => process.exit(1),
);
