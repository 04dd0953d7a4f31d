"""One poll of CodeDeploy: sources say which deployments they want, deployments are read,
group state and targets follow; the poller orchestrates the phases."""
