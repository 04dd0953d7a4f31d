"""Everything that talks to AWS (boto3 and botocore are imported here and nowhere else):
clients, the CodeDeploy and SQS calls, errors, and API dict -> record parsing."""
