"""Lint the SAM template twice: as written, and after the SAM transform, so bad
!Ref/!GetAtt inside function properties are caught too. Offline: the managed
policy loader is a stub (the template names no managed policies)."""
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse


class NoManagedPolicies:
    def load(self):
        return {}


def main() -> int:
    template = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("template.yaml")
    lint = [str(Path(sys.executable).with_name("cfn-lint"))]
    if subprocess.run([*lint, str(template)]).returncode != 0:
        print(f"cfn-lint: {template} has problems", file=sys.stderr)
        return 1
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")  # for pseudo parameters only
    sam = yaml_parse(template.read_text())
    # What `sam package` does: local code becomes an S3 object.
    for name, resource in sam["Resources"].items():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = f"s3://artifacts/{name}.zip"
    params = {"JwtSecretName": "inbox-jwt-secret"}
    cfn = transform(sam, params, NoManagedPolicies())
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(cfn, f, indent=1)
    if subprocess.run([*lint, f.name]).returncode != 0:
        print(f"cfn-lint: the transformed template ({f.name}) has problems", file=sys.stderr)
        return 1
    functions = [k for k, v in cfn["Resources"].items() if v["Type"] == "AWS::Lambda::Function"]
    print(f"cfn-lint: template and transformed template clean ({len(functions)} functions)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
