// Renders the declarations of alerts/alerts.libsonnet and rules/rules.libsonnet with _config, as
// tools/generate/monitoring.py renders them into alerts.yaml, rules.yaml and the Helm chart (a
// test renders this mixin and fails when it differs from those files).
{
  // Thresholds as Python prints them: 7200, 0.8 (jsonnet's own toString gives 0.80000000000000004).
  local number(x) =
    if std.isNumber(x) then (if x == std.floor(x) then '%d' % x else '%g' % x) else x,

  // The format keys of the declarations: job, tags and every <alert>.<setting>.
  formatKeys(config):: {
    job: config.jobSelector,
    tags: std.join(', ', config.groupTagLabels),
  } + {
    [name + '.' + setting]: number(config.alerts[name][setting])
    for name in std.objectFields(config.alerts)
    for setting in std.objectFields(config.alerts[name])
  },

  local rule(config, keys, a) =
    local settings = config.alerts[a.name];
    // The owner join only when some tag label is carried.
    local expr = if a.exprWithOwner != null && std.length(config.groupTagLabels) > 0 then a.exprWithOwner else a.expr;
    {
      alert: a.name,
      expr: expr % keys,
      'for': settings['for'],
      labels: { severity: settings.severity },
      annotations: {
        summary: a.summary % keys,
        description: a.description % keys,
        runbook_url: a.runbookURL,
      } + (
        if config.statusPageURL != '' then
          { status_page: std.rstripChars(config.statusPageURL, '/') + '/?' + a.statusPageQuery }
        else {}
      ),
    },

  alertGroups(config, declarations)::
    local keys = self.formatKeys(config);
    local enabled = [a for a in declarations if config.alerts[a.name].enabled];
    local names = std.foldl(function(seen, a) if std.member(seen, a.group) then seen else seen + [a.group], declarations, []);
    [
      { name: name, rules: [rule(config, keys, a) for a in enabled if a.group == name] }
      for name in names
      if std.length([a for a in enabled if a.group == name]) > 0
    ],

  recordingGroups(config, declarations):: [
    local keys = { job: config.jobSelector, window: window, days: '%d' % std.parseInt(std.rstripChars(window, 'd')) };
    {
      name: 'codedeploy-dora-' + window,
      interval: config.doraInterval,
      rules: [
        { record: r.record, expr: r.expr % keys, labels: { window: window } }
        for r in declarations
      ],
    }
    for window in config.doraWindows
  ],

  durationGroup(config, declarations):: {
    local keys = { job: config.jobSelector, minDeployments: number(config.durationMinDeployments) },
    name: 'codedeploy-durations',
    interval: config.durationInterval,
    rules: [{ record: r.record, expr: r.expr % keys } for r in declarations],
  },
}
