// jsonnet -S -J vendor lib/rules.jsonnet > rules.yaml
std.manifestYamlDoc((import '../mixin.libsonnet').prometheusRules)
