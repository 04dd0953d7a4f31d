// The dashboard is built by tools/generate/dashboard (Grafana's typed builders); this folder holds
// a copy of exporter/monitoring/dashboard.json that tools/generate/monitoring.py keeps current.
// It selects series by its own variables (datasource, account, region, group), not by job.
{
  grafanaDashboards+:: {
    'codedeploy-exporter.json': (import 'codedeploy-exporter.json'),
  },
}
