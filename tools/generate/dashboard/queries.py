"""What every dashboard query reads: the data source, the label selectors, label sets and legends."""

from __future__ import annotations

from grafana_foundation_sdk.builders import prometheus
from grafana_foundation_sdk.models.dashboard import DataSourceRef
from grafana_foundation_sdk.models.prometheus import PromQueryFormat

DATASOURCE = DataSourceRef(type_val="prometheus", uid="${datasource}")
# Group-level panels follow the four group variables; deployment-level panels also the
# deployment variable.
SEL_GROUP = (
    'account_id=~"$account_id", region=~"$region", application=~"$application", deployment_group=~"$deployment_group"'
)
SEL = SEL_GROUP + ', deployment_id=~"$deployment_id"'
GROUP_LABELS = "account_id, region, application, deployment_group"
DEPLOYMENT_LABELS = GROUP_LABELS + ", deployment_id"
TARGET_LABELS = DEPLOYMENT_LABELS + ", target_id"
GROUP_LEGEND = "{{application}}/{{deployment_group}} ({{region}})"


def query(expr: str, legend: str = "", *, table_format: bool = False) -> prometheus.Dataquery:
    q = prometheus.Dataquery().expr(expr).legend_format(legend).datasource(DATASOURCE)
    if table_format:  # tables show the current state: one instant sample per series
        return q.format(PromQueryFormat.TABLE).instant()
    return q.range()
