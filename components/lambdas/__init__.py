"""Lambda function code deployed by the components (each file is a handler with only the
standard library and boto3, which the Lambda Python runtime provides)."""
