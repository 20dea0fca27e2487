"""A loopback stand-in for an S3-compatible bucket in tests: moto's server, with its IAM
authentication on, so it refuses what S3 refuses.

Out of the box moto accepts any credentials. Here the server first (authentication still
off) creates the bucket and an IAM user allowed to use S3, with an access key of its own;
then authentication is turned on (moto's /moto-api/reset-auth, the server-mode form of
INITIAL_NO_AUTH_ACTION_COUNT), and every request must be signed with a key moto issued:
an unknown access key id is refused (InvalidAccessKeyId), a wrong secret too
(SignatureDoesNotMatch), and an unknown bucket or key as S3 refuses them.

moto's authentication switch is process-wide: the server runs in the test process, and
stopping it turns authentication off again.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import boto3
import requests
from moto.server import ThreadedMotoServer

REGION = "us-east-1"
_USER = "minka-uploads"
_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
}


@dataclass(frozen=True)
class S3Server:
    """Where the server answers, and the one access key it accepts."""

    url: str
    access_key_id: str
    secret_access_key: str

    @property
    def env(self) -> dict[str, str]:
        """The credentials as boto3 reads them from the environment."""
        return {
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
        }

    def client(self, secret_access_key: str | None = None):
        """A boto3 S3 client with the accepted key (or another secret for it)."""
        return boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=secret_access_key or self.secret_access_key,
        )


def _set_auth(url: str, checked_after: float) -> None:
    """Check every request's signature after `checked_after` more requests (inf: never)."""
    requests.post(f"{url}/moto-api/reset-auth", data=str(checked_after), timeout=10)


@contextmanager
def s3_server(*buckets: str) -> Iterator[S3Server]:
    """moto's S3 server on a free loopback port, with `buckets`, checking credentials."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    try:
        # moto's backends are process-wide too: start from none (a user of an earlier server)
        requests.post(f"{url}/moto-api/reset", timeout=10)
        _set_auth(url, float("inf"))
        setup = {"endpoint_url": url, "region_name": REGION}
        setup |= {"aws_access_key_id": "setup", "aws_secret_access_key": "setup"}
        iam = boto3.client("iam", **setup)
        iam.create_user(UserName=_USER)
        iam.put_user_policy(UserName=_USER, PolicyName="s3", PolicyDocument=json.dumps(_POLICY))
        key = iam.create_access_key(UserName=_USER)["AccessKey"]
        s3 = boto3.client("s3", **setup)
        for bucket in buckets:
            s3.create_bucket(Bucket=bucket)
        _set_auth(url, 0)
        yield S3Server(url, key["AccessKeyId"], key["SecretAccessKey"])
    finally:
        _set_auth(url, float("inf"))
        server.stop()
