"""HTTP: the serve loop, the threaded handler, web config (TLS, basic auth), listen addresses
and the container's health check."""
