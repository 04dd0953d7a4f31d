// jsonnet -S -J vendor lib/alerts.jsonnet > alerts.yaml
std.manifestYamlDoc((import '../mixin.libsonnet').prometheusAlerts)
