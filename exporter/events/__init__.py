"""CodeDeploy events (EventBridge or SNS via SQS) as a source that says "refresh these now".

parse.py: message body -> which deployment changed (pure). consumer.py: the SQS long poll, the
debounce and the deletes. refresh.py: the refresh on the poller between polls. metrics.py: the
consumer's self-metrics. runner.py: starts, restarts on reload and stops the consumer.
"""
