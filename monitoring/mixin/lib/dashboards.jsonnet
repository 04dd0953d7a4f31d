// jsonnet -J vendor -m dashboards_out lib/dashboards.jsonnet
(import '../mixin.libsonnet').grafanaDashboards
