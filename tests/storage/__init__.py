"""Tests of version storage: the local folder and S3-compatible buckets."""
