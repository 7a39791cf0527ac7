"""botocore as the oracle of how the AWS CLI and boto3 read a credentials file.

Reads lines of JSON arrays of file paths on stdin; answers each with one line: a JSON array
of {"ok": {section: {key: value}}} or {"error": "..."}, as botocore's own reader
(configloader.raw_config_parse, used by the shared-credentials provider) sees each file.
"""
import json
import sys

from botocore import configloader
from botocore.exceptions import ConfigParseError


def read(path):
    try:
        return {"ok": configloader.raw_config_parse(path)}
    except ConfigParseError as e:
        return {"error": str(e).splitlines()[0]}


for line in sys.stdin:
    print(json.dumps([read(p) for p in json.loads(line)], default=str), flush=True)
