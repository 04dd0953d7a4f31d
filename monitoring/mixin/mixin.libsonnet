// The codedeploy-exporter monitoring mixin: alerts, DORA recording rules and the Grafana dashboard.
//
//   local cde = (import 'codedeploy-exporter-mixin/mixin.libsonnet') + {
//     _config+:: { jobSelector: 'job="cde"', groupTagLabels: ['tag_team', 'tag_env'] },
//   };
//   { 'alerts.yaml': std.manifestYamlDoc(cde.prometheusAlerts) }
//
// config.libsonnet lists every _config field with its default. docs/monitoring.md, "Installing the
// mixin", shows vendoring and rendering.
(import 'config.libsonnet') +
(import 'alerts/alerts.libsonnet') +
(import 'rules/rules.libsonnet') +
(import 'dashboards/dashboards.libsonnet')
